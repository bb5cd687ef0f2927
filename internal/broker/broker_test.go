package broker

import (
	"testing"
	"time"

	"github.com/vltava/vltava/internal/config"
)

// TestLogManagerOptions: the broker config reaches the log manager, with
// Kafka's defaults when nothing is set.
func TestLogManagerOptions(t *testing.T) {
	for _, c := range []struct {
		props                              map[string]string
		retention, pidExpiration, pidCheck time.Duration
		checkpoint                         time.Duration
	}{
		{nil, 5 * time.Minute, 24 * time.Hour, 10 * time.Minute, 5 * time.Second},
		{map[string]string{
			"log.retention.check.interval.ms":               "1000",
			"producer.id.expiration.ms":                     "60000",
			"producer.id.expiration.check.interval.ms":      "500",
			"log.flush.offset.checkpoint.interval.ms":       "2000",
			"log.flush.start.offset.checkpoint.interval.ms": "0",
		}, time.Second, time.Minute, 500 * time.Millisecond, 2 * time.Second},
		{map[string]string{"replica.high.watermark.checkpoint.interval.ms": "90000"}, 5 * time.Minute, 24 * time.Hour, 10 * time.Minute, time.Minute},
	} {
		cfg, err := config.ParseBroker(c.props)
		if err != nil {
			t.Fatal(err)
		}
		o := logManagerOptions(cfg)
		if o.CheckpointInterval != c.checkpoint {
			t.Errorf("%v: checkpoint interval %v, want %v", c.props, o.CheckpointInterval, c.checkpoint)
		}
		if o.RetentionCheckInterval != c.retention || o.ProducerIDExpiration != c.pidExpiration || o.ProducerIDExpirationCheckInterval != c.pidCheck {
			t.Errorf("%v: retention check %v, producer id expiration %v every %v; want %v, %v every %v", c.props,
				o.RetentionCheckInterval, o.ProducerIDExpiration, o.ProducerIDExpirationCheckInterval, c.retention, c.pidExpiration, c.pidCheck)
		}
	}
}
