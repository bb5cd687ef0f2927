package server

// ApiVersions: v0-4
//
// Advertises exactly the keys and versions in handlerTable, with one
// exception that Kafka 4 makes too (KAFKA-18659): Produce is advertised
// from v0 although v0-2 requests are still refused, because librdkafka
// (kcat, confluent-kafka) compresses with gzip, snappy and lz4 only when
// the broker lists Produce v0. A request of a version above 4 is answered
// (in conn.go) with a v0 response carrying UNSUPPORTED_VERSION and our
// ApiVersions range, as Kafka does.
//
// Left out: KIP-584 feature flags (SupportedFeatures/FinalizedFeatures are
// empty); client software name/version are not validated.

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// hidden reports whether an implemented API is turned off by the broker's
// configuration, and so not advertised.
func (s *Server) hidden(key int16) bool {
	switch key {
	case kmsg.ConsumerGroupHeartbeat.Int16(), kmsg.ConsumerGroupDescribe.Int16():
		return s.o.Settings.ConsumerProtocolDisabled
	}
	return false
}

func (s *Server) handleApiVersions(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ApiVersionsRequest)
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	for _, h := range s.handlers {
		if h.fn == nil || s.hidden(h.key) {
			continue
		}
		lo := h.min
		if h.key == kmsg.Produce.Int16() {
			lo = 0
		}
		resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: h.key, MinVersion: lo, MaxVersion: h.max})
	}
	return resp, nil
}
