import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one server; a registry per instance so tests can build several apps. */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'wharf_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'wharf_http_request_duration_seconds',
    help: 'HTTP request latency by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({ name: 'wharf_bytes_received_total', help: 'Blob and manifest bytes received', registers: [this.registry] });
  readonly bytesOut = new Counter({ name: 'wharf_bytes_sent_total', help: 'Blob and manifest bytes sent', registers: [this.registry] });
  readonly authFailures = new Counter({
    name: 'wharf_auth_failures_total',
    help: 'Refused credentials by reason and kind (password, refresh_token, access_token, header)',
    labelNames: ['reason', 'credential'] as const,
    registers: [this.registry],
  });
  readonly authzDenials = new Counter({
    name: 'wharf_authz_denials_total',
    help: 'Valid credentials refused for lacking the asked action, by action',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  readonly authDelayed = new Counter({
    name: 'wharf_auth_delayed_total',
    help: 'Failing authentication responses held back by the per-source and per-user backoff',
    registers: [this.registry],
  });

  constructor(uploadsInFlight: () => number) {
    new Gauge({
      name: 'wharf_uploads_in_flight',
      help: 'Blob upload requests currently streaming',
      registers: [this.registry],
      collect() {
        this.set(uploadsInFlight());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'wharf_' });
  }
}
