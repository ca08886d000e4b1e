"""The clerks' web console: people who log in, and the desks they work at."""
