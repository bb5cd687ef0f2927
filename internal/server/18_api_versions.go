package server

// ApiVersions: v0-4
//
// Advertises exactly the keys and versions in handlerTable. A request of a
// version above 4 is answered (in conn.go) with a v0 response carrying
// UNSUPPORTED_VERSION and our ApiVersions range, as Kafka does.
//
// Left out: KIP-584 feature flags (SupportedFeatures/FinalizedFeatures are
// empty); client software name/version are not validated.

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleApiVersions(r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ApiVersionsRequest)
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	for _, h := range s.handlers {
		if h.fn == nil {
			continue
		}
		resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: h.key, MinVersion: h.min, MaxVersion: h.max})
	}
	return resp, nil
}
