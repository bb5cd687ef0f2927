"""Consume N records of a topic as a member of a consumer group with
kafka-python, committing each record synchronously after printing it, then
leave the group.

Usage: kafkapython_group.py BOOTSTRAP TOPIC GROUP N

Prints one line per record, "consumed <partition> <offset> <value>", then
"done". Exits non-zero on any error or if N records do not arrive in time.
"""

import sys
import time

from kafka import KafkaConsumer
from kafka.structs import OffsetAndMetadata

TIMEOUT_S = 20


def main():
    bootstrap, topic, group, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=[bootstrap],
        group_id=group,
        client_id="kafka-python-group",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    deadline = time.monotonic() + TIMEOUT_S
    got = 0
    while got < n:
        if time.monotonic() > deadline:
            raise SystemExit("consumed %d of %d records" % (got, n))
        batches = consumer.poll(timeout_ms=500)
        for tp, records in batches.items():
            for r in records:
                print("consumed", r.partition, r.offset, r.value.decode(), flush=True)
                consumer.commit({tp: OffsetAndMetadata(r.offset + 1, None)})
                got += 1
    consumer.close()
    print("done")


if __name__ == "__main__":
    main()
