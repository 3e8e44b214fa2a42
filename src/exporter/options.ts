// What bounds the metrics' size, apart from the code that builds them (the CLI declares its
// defaults without loading prom-client).
export interface MetricsOptions {
  /** Most per-certificate series exported; the rest are counted in pkiscope_certificate_series_dropped. */
  maxCertificateSeries: number;
  /** Longest label value, in characters (subjects and issuers are untrusted and can be long). */
  maxLabelLength: number;
}

export const DEFAULT_METRICS_OPTIONS: MetricsOptions = { maxCertificateSeries: 5000, maxLabelLength: 256 };
