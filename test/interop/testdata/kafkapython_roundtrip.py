"""Produce N records with kafka-python, letting it detect the broker's
version through ApiVersions, then read them back with a consumer that
assign()s the partition (no group APIs).

Usage: kafkapython_roundtrip.py BOOTSTRAP TOPIC N CODEC (CODEC "none": off)

Prints one line per acknowledged record, in the order produced:
    produced <partition> <offset> <key> <value>
then one line per consumed record:
    consumed <partition> <offset> <key> <value> <header>=<value>,...
then the version kafka-python detected, "api_version <a.b.c>", and "done".
Exits non-zero on any error.
"""

import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

TIMEOUT_S = 30


def produce(bootstrap, topic, n, codec):
    producer = KafkaProducer(
        bootstrap_servers=[bootstrap],
        acks="all",
        max_in_flight_requests_per_connection=1,
        compression_type=None if codec == "none" else codec,
        linger_ms=5,
    )
    futures = [
        producer.send(topic, key=b"k%d" % i, value=b"v%d" % i, partition=0,
                      headers=[("i", str(i).encode())])
        for i in range(n)
    ]
    producer.flush(TIMEOUT_S)
    for i, f in enumerate(futures):
        md = f.get(timeout=TIMEOUT_S)
        print("produced", md.partition, md.offset, "k%d" % i, "v%d" % i)
    version = producer.config["api_version"]
    producer.close(TIMEOUT_S)
    return version


def consume(bootstrap, topic, n):
    consumer = KafkaConsumer(
        bootstrap_servers=[bootstrap],
        group_id=None,
        enable_auto_commit=False,
    )
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got = 0
    idle = 0
    while got < n:
        batches = consumer.poll(timeout_ms=1000)
        if not batches:
            idle += 1
            if idle > TIMEOUT_S:
                raise SystemExit("consume: got %d of %d records" % (got, n))
            continue
        for msgs in batches.values():
            for m in msgs:
                headers = ",".join("%s=%s" % (k, v.decode()) for k, v in m.headers)
                print("consumed", m.partition, m.offset, m.key.decode(), m.value.decode(), headers)
                got += 1
    consumer.close()


def main():
    bootstrap, topic, n, codec = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    version = produce(bootstrap, topic, n, codec)
    consume(bootstrap, topic, n)
    print("api_version", ".".join(str(v) for v in version))
    print("done")


if __name__ == "__main__":
    main()
