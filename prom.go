package forensics

// PromSeries is one Prometheus series read from a TSDB data directory (or
// a single block): its metric name and its other labels. ID is the row id
// the store gives it when it writes the row; the PromSample and
// PromHistogram rows that point at the series read it from there, so a
// reader emits the series before its samples.
type PromSeries struct {
	ID     int64  // series.id, set by the store on write
	Metric string // __name__ ("" when the series has none)
	// Labels are the labels other than __name__, as one JSON object with
	// the names sorted ({"instance":"a:9100","job":"node"}).
	Labels string
}

// Table implements Record.
func (*PromSeries) Table() string { return "series" }

// PromSample is one float sample of a series. A staleness marker (the NaN
// Prometheus writes when a target or a rule's output disappears) has
// Stale set; its V is that NaN.
type PromSample struct {
	Series *PromSeries
	T      int64 // milliseconds since the epoch, as Prometheus stores it
	V      float64
	Stale  bool
}

// Table implements Record.
func (*PromSample) Table() string { return "samples" }

// PromHistogram is one native histogram sample (integer or float counts)
// of a series. JSON holds the whole histogram exactly (the fields of
// prometheus' histogram.FloatHistogram: schema, zero bucket, spans,
// buckets, custom bounds), so a query can rebuild it.
type PromHistogram struct {
	Series *PromSeries
	T      int64
	Float  bool // a float histogram (counts are floats) rather than an integer one
	Count  float64
	Sum    float64
	Stale  bool
	JSON   string
}

// Table implements Record.
func (*PromHistogram) Table() string { return "histogram_samples" }
