"""Consume N records of a topic as a member of a consumer group with
confluent-kafka (librdkafka), committing each record synchronously after
printing it, then leave the group.

Usage: confluent_group.py BOOTSTRAP TOPIC GROUP N

Prints one line per record, "consumed <partition> <offset> <value>", then
"done". Exits non-zero on any error or if N records do not arrive in time.
"""

import sys
import time

from confluent_kafka import Consumer, KafkaException

TIMEOUT_S = 20


def main():
    bootstrap, topic, group, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": "confluent-group",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
    })
    consumer.subscribe([topic])
    deadline = time.monotonic() + TIMEOUT_S
    got = 0
    while got < n:
        if time.monotonic() > deadline:
            raise SystemExit("consumed %d of %d records" % (got, n))
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        print("consumed", msg.partition(), msg.offset(), msg.value().decode(), flush=True)
        consumer.commit(message=msg, asynchronous=False)
        got += 1
    consumer.close()
    print("done")


if __name__ == "__main__":
    main()
