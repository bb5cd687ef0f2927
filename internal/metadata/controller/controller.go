// Package controller turns admin requests into metadata records. All
// mutations are serialised: each validates against the current image, appends
// its records to the metadata log, applies them to a new image and publishes
// it to the broker.
package controller

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/vltava/vltava/internal/metadata/image"
	"github.com/vltava/vltava/internal/metadata/quorum"
)

// Defaults are the broker settings that topic creation falls back on.
type Defaults struct {
	NumPartitions     int32
	ReplicationFactor int16
}

// ConfigValidator checks the dynamic configs of a topic or group against
// the broker configs of image im; it returns an error naming the bad key.
type ConfigValidator func(im *image.Image, configs map[string]string) error

// BrokerConfigValidator checks the complete set of dynamic configs that
// broker resource name ("" for the cluster-wide defaults) would have after
// a change; im is the current image. It returns a one-line error naming the
// bad key.
type BrokerConfigValidator func(im *image.Image, name string, next map[string]string) error

// Controller owns the metadata image.
type Controller struct {
	mu             sync.Mutex // serialises mutations
	log            quorum.Log
	img            atomic.Pointer[image.Image]
	defaults       Defaults
	validate       ConfigValidator
	validateBroker BrokerConfigValidator
	validateGroup  ConfigValidator
	logger         *slog.Logger

	subMu sync.Mutex
	subs  []func(old, new *image.Image)

	pidNext, pidEnd int64 // the block of producer ids this controller hands out
}

// Options configure a Controller.
type Options struct {
	Log            quorum.Log
	Defaults       Defaults
	ValidateConfig ConfigValidator
	// ValidateBrokerConfig checks dynamic broker configs; nil accepts any.
	ValidateBrokerConfig BrokerConfigValidator
	// ValidateGroupConfig checks a group's dynamic configs; nil accepts
	// any.
	ValidateGroupConfig ConfigValidator
	Logger              *slog.Logger
}

// New replays the metadata log and returns a controller over it.
func New(o Options) (*Controller, error) {
	c := &Controller{log: o.Log, defaults: o.Defaults, validate: o.ValidateConfig, validateBroker: o.ValidateBrokerConfig,
		validateGroup: o.ValidateGroupConfig, logger: o.Logger}
	im := image.Empty()
	err := o.Log.Replay(func(first int64, recs []image.Record) error {
		im = im.Apply(first, recs)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replay metadata log: %w", err)
	}
	c.img.Store(im)
	return c, nil
}

// Image returns the current metadata image. It never changes: read it
// freely without locks.
func (c *Controller) Image() *image.Image { return c.img.Load() }

// Subscribe registers fn to be called, in order and one at a time, with each
// new image after it is published.
func (c *Controller) Subscribe(fn func(old, new *image.Image)) {
	c.subMu.Lock()
	c.subs = append(c.subs, fn)
	c.subMu.Unlock()
}

// commit appends recs and publishes the resulting image. c.mu must be held.
func (c *Controller) commit(ctx context.Context, recs []image.Record) error {
	if len(recs) == 0 {
		return nil
	}
	first, err := c.log.Append(ctx, recs)
	if err != nil {
		return err
	}
	old := c.img.Load()
	im := old.Apply(first, recs)
	c.img.Store(im)
	c.subMu.Lock()
	subs := c.subs
	c.subMu.Unlock()
	for _, fn := range subs {
		fn(old, im)
	}
	return nil
}

// RegisterBroker records a broker's endpoints when they changed.
func (c *Controller) RegisterBroker(ctx context.Context, r image.RegisterBrokerRecord) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.Image().Brokers[r.ID]; b != nil && sameEndpoints(b.Endpoints, r.Endpoints) && b.Rack == r.Rack {
		return nil
	}
	return c.commit(ctx, []image.Record{&r})
}

func sameEndpoints(a, b []image.Endpoint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// AllocateProducerID hands out a new producer id, reserving ids in blocks
// through the metadata log so that an id is never handed out twice, even
// across restarts.
func (c *Controller) AllocateProducerID(ctx context.Context) (int64, error) {
	const block = 1000
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pidNext >= c.pidEnd {
		start := c.Image().NextProducerID
		if err := c.commit(ctx, []image.Record{&image.ProducerIDsRecord{NextProducerID: start + block}}); err != nil {
			return 0, err
		}
		c.pidNext, c.pidEnd = start, start+block
	}
	id := c.pidNext
	c.pidNext++
	return id, nil
}

// Error is a Kafka error with a message, as the admin responses carry.
type Error struct {
	Code    *kerr.Error
	Message string
}

func (e *Error) Error() string { return e.Code.Message + ": " + e.Message }

func errf(code *kerr.Error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func newUUID() image.Uuid {
	var u image.Uuid
	for u == (image.Uuid{}) {
		_, _ = rand.Read(u[:])
	}
	return u
}
