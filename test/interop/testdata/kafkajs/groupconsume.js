// KafkaJS group consumer against a Vltava broker: joins GROUP, reads COUNT
// records of TOPIC from the beginning, commits, and prints them as JSON
// lines "partition offset key value" sorted. Usage: node groupconsume.js BROKER TOPIC GROUP COUNT
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [broker, topic, group, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  const kafka = new Kafka({ clientId: 'vltava-interop', brokers: [broker], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${seen.length} of ${count} records`)), 20000);
    consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seen.push(`${partition} ${message.offset} ${message.key} ${message.value}`);
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        if (seen.length === count) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  seen.sort();
  for (const line of seen) console.log(line);
}

main().catch(err => { console.error(err && err.stack || String(err)); process.exit(1); });
