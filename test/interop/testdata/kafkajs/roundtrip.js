// KafkaJS against a Vltava broker: admin (create topic, metadata, offsets)
// and an idempotent producer. Prints one JSON line the Go test asserts on.
// Usage: node roundtrip.js BROKER TOPIC COUNT
const { Kafka, logLevel, CompressionTypes } = require('kafkajs');

async function main() {
  const [broker, topic, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  const kafka = new Kafka({ clientId: 'vltava-interop', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  const admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ key: `k${i}`, value: `v${i}`, partition: i % 2, headers: { n: String(i) } });
  const acks = await producer.send({ topic, messages, acks: -1, compression: CompressionTypes.GZIP });
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const offsets = await admin.fetchTopicOffsets(topic);
  await producer.disconnect();
  await admin.disconnect();
  const partitions = meta.topics[0].partitions.map(p => ({ partition: p.partitionId, leader: p.leader })).sort((a, b) => a.partition - b.partition);
  const ends = offsets.map(o => ({ partition: o.partition, high: Number(o.high), low: Number(o.low) })).sort((a, b) => a.partition - b.partition);
  const errors = acks.map(a => a.errorCode);
  console.log(JSON.stringify({ created, partitions, ends, errors }));
}

main().catch(err => { console.error(err && err.stack || String(err)); process.exit(1); });
