import asyncio
import datetime as dt
import time

import pytest

from backoffice_events.testing import eventually
from ledger_service.service_layer.rebuild import rebuild_books

pytestmark = pytest.mark.integration


async def test_perf(ledger_svc, feed, probe, build):
    N = 20000
    envs = []
    for i in range(N // 2):
        envs.append(build.envelope(build.invoice(f"I{i}", f"C{i % 500}", "100.00", "21.00", dt.date(2026, 1, 2), dt.date(2026, 2, 1))))
        envs.append(build.envelope(build.payment(f"P{i}", f"C{i % 500}", "121.00", dt.date(2026, 1, 5), [(f"I{i}", "121.00")], "0.00")))
    p = feed.producer
    t0 = time.perf_counter()
    futs = []
    for env in envs:
        topic = feed.kafka.topic("backoffice.billing")
        futs.append(await p.send(topic, env.kafka_value(), key=env.kafka_key(), headers=env.kafka_headers()))
    await asyncio.gather(*futs)
    print("produced", time.perf_counter() - t0)
    t0 = time.perf_counter()

    async def done():
        return await probe.taken() == N

    await eventually(done, timeout=300, interval=0.5)
    print("live", N / (time.perf_counter() - t0), "ev/s")
    from ledger_service.adapters import projection as pj
    from backoffice_events import consumer as cm
    acc = {"post": 0.0, "write": 0.0, "apply": 0.0, "process": 0.0}
    op, ow = pj.post_batch, pj.write_generation
    def post_batch(ev):
        t = time.perf_counter(); r = op(ev); acc["post"] += time.perf_counter() - t; return r
    async def write_generation(*a):
        t = time.perf_counter(); r = await ow(*a); acc["write"] += time.perf_counter() - t; return r
    pj.post_batch, pj.write_generation = post_batch, write_generation
    oa, opr = cm.EventConsumer._apply, cm.EventConsumer.process
    async def _apply(self, ev):
        t = time.perf_counter(); r = await oa(self, ev); acc["apply"] += time.perf_counter() - t; return r
    async def process(self, b):
        t = time.perf_counter(); r = await opr(self, b); acc["process"] += time.perf_counter() - t; return r
    cm.EventConsumer._apply, cm.EventConsumer.process = _apply, process
    t0 = time.perf_counter()
    res = await rebuild_books(ledger_svc.ctx)
    print(acc)
    el = time.perf_counter() - t0
    print("rebuild", N / el, "ev/s", el, res.books_equal, res.detail)
