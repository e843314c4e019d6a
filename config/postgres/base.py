"""PostgreSQL for the shop: a reused connection is checked for health without a round trip.

Django checks a reused connection (CONN_HEALTH_CHECKS) by sending SELECT 1 at the start of each
request that touches the database: a round trip as long as the request's own query on the pages
that make one. A server that ends a connection (restart, failover, pg_terminate_backend, an idle
timeout) says so on its socket, which then has its goodbye or the end of the stream to read,
while a healthy idle connection has nothing. So the socket is looked at first, and only when it
has something to read does SELECT 1 decide, as Django would.

A connection lives at most CONN_MAX_AGE seconds, well under the idle timeouts of the firewalls
and NAT gateways that could drop one without a word.
"""

import select

from django.db.backends.postgresql import base
from psycopg2.extensions import TRANSACTION_STATUS_IDLE


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        if self.connection.get_transaction_status() != TRANSACTION_STATUS_IDLE:
            return super().is_usable()
        socket_events = select.poll()
        socket_events.register(self.connection.fileno(), select.POLLIN)
        if socket_events.poll(0):
            return super().is_usable()
        return True
