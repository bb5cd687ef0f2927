"""Produce N records with confluent-kafka's idempotent producer, then read
them back with a consumer that assign()s the partition (no group APIs).

Usage: confluent_roundtrip.py BOOTSTRAP TOPIC N CODEC

Prints one line per delivery report, in the order produced:
    produced <partition> <offset> <key> <value>
then one line per consumed record:
    consumed <partition> <offset> <key> <value> <header>=<value>,...
and finally "done". Exits non-zero on any error.
"""

import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

TIMEOUT_S = 30


def produce(bootstrap, topic, n, codec):
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "compression.codec": codec,
        "linger.ms": 5,
    })
    reports = []
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            reports.append(msg)

    for i in range(n):
        producer.produce(topic, key=b"k%d" % i, value=b"v%d" % i, partition=0,
                         headers=[("i", str(i).encode())], on_delivery=on_delivery)
        producer.poll(0)
    left = producer.flush(TIMEOUT_S)
    if left or errors:
        raise SystemExit("produce: %d undelivered, errors %s" % (left, errors))
    for m in reports:
        print("produced", m.partition(), m.offset(), m.key().decode(), m.value().decode())


def consume(bootstrap, topic, n):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        # librdkafka's consumer needs a group id even when it only assigns;
        # nothing is committed.
        "group.id": "vltava-interop-unused",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
    })
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = 0
    idle = 0
    while got < n:
        msg = consumer.poll(1.0)
        if msg is None:
            idle += 1
            if idle > TIMEOUT_S:
                raise SystemExit("consume: got %d of %d records" % (got, n))
            continue
        if msg.error():
            raise KafkaException(msg.error())
        headers = ",".join("%s=%s" % (k, v.decode()) for k, v in (msg.headers() or []))
        print("consumed", msg.partition(), msg.offset(), msg.key().decode(), msg.value().decode(), headers)
        got += 1
    consumer.close()


def main():
    bootstrap, topic, n, codec = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    produce(bootstrap, topic, n, codec)
    consume(bootstrap, topic, n)
    print("done")


if __name__ == "__main__":
    main()
