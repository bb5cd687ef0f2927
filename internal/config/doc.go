// Package config holds Vltava's broker and topic configuration under Apache
// Kafka's names, types, defaults and validation (Kafka 4.x), and renders it
// for DescribeConfigs.
//
// A broker is configured by a server.properties file (ParseProperties) with
// overrides on top, checked and resolved by ParseBroker. A topic's
// configuration is its overrides (CreateTopics, AlterConfigs) over the
// broker's topic defaults (Broker.TopicDefaults), resolved by ResolveTopic.
// DescribeTopic and DescribeBroker give the values, sources and synonyms that
// Kafka's DescribeConfigs reports.
//
// Where Vltava differs from Kafka, on purpose:
//   - node.id defaults to 1 and process.roles to "broker,controller", so that
//     an empty configuration runs a cluster of one (Kafka requires both).
//   - log.dir defaults to ./vltava-data (Kafka: /tmp/kafka-logs; its example
//     server.properties uses log.dirs=/tmp/kraft-combined-logs). log.dirs,
//     when set, wins over log.dir, as in Kafka.
//   - controller.listener.names is not required while the controller runs
//     inside the broker process.
//   - Without advertised.listeners, a listener with an empty or wildcard host
//     is advertised as localhost (Kafka uses the canonical host name).
//   - Only the PLAINTEXT security protocol is served; a listener mapped to
//     SSL, SASL_PLAINTEXT or SASL_SSL is refused as "not supported yet".
//   - vltava.admin.listener is Vltava's own key (the admin HTTP listener).
//   - Some keys are accepted for compatibility and have no effect; their
//     Doc says so (num.network.threads, num.io.threads, share.coordinator.*).
//
// The package does no I/O beyond reading the stream given to
// ParseProperties, and has no mutable package state: the registries are
// built once at initialisation and never changed.
package config
