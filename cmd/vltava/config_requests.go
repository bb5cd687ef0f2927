package main

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Raw DescribeConfigs and IncrementalAlterConfigs of one resource, for the
// resource types kadm has no helpers for (broker loggers, groups). kgo
// routes them: a BROKER_LOGGER resource to the broker it names.

// describeResource returns the configs of one resource; subject names it
// in errors.
func describeResource(ctx context.Context, cl *kgo.Client, typ kmsg.ConfigResourceType, name, subject string) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = typ, name
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, opError(subject, err, "")
	}
	if len(resp.Resources) != 1 {
		return nil, fmt.Errorf("%s: %d resources in the response, want 1", subject, len(resp.Resources))
	}
	r := resp.Resources[0]
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		return nil, opError(subject, err, derefString(r.ErrorMessage))
	}
	return r.Configs, nil
}

// alterResource applies incremental config operations to one resource.
func alterResource(ctx context.Context, cl *kgo.Client, typ kmsg.ConfigResourceType, name, subject string, cfgs []kmsg.IncrementalAlterConfigsRequestResourceConfig) error {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName, res.Configs = typ, name, cfgs
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return opError(subject, err, "")
	}
	if len(resp.Resources) != 1 {
		return fmt.Errorf("%s: %d resources in the response, want 1", subject, len(resp.Resources))
	}
	if r := resp.Resources[0]; r.ErrorCode != 0 {
		return opError(subject, kerr.ErrorForCode(r.ErrorCode), derefString(r.ErrorMessage))
	}
	return nil
}

// configOp is one incremental operation; value nil for DELETE.
func configOp(op kmsg.IncrementalAlterConfigOp, name string, value *string) kmsg.IncrementalAlterConfigsRequestResourceConfig {
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Op, c.Name, c.Value = op, name, value
	return c
}

// derefString is *s, or "" for nil.
func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
