package ingest

import (
	"github.com/vidbench/forensics"
)

// The second stage of the ingest pipeline. The reader's goroutine reads,
// splits and parses; this stage mines templates and hands rows to the
// sink (which builds Arrow batches), while a third goroutine in the store
// inserts finished batches into DuckDB. Items keep their order.

const stageBatch = 1024

type item struct {
	log        *forensics.LogRecord
	key        []byte // masked message, when the reader's goroutine masked it
	http       *forensics.HTTPRequest
	rec        forensics.Record
	note       *forensics.Note
	reject     bool
	rejectLine int64
	reason     string
	raw        []byte
}

type stage struct {
	in   *Input
	buf  []item
	work chan []item
	done chan error
	err  error // first error of the second goroutine, seen by push
}

// startStage runs the second stage for in until finish is called.
func startStage(in *Input) *stage {
	st := &stage{in: in, work: make(chan []item, 4), done: make(chan error, 1), buf: make([]item, 0, stageBatch)}
	in.stage = st
	go st.loop(in.Template, in.TemplateMasked, in.Sink)
	return st
}

func (st *stage) loop(tmpl func(string) uint32, tmplMasked func([]byte) uint32, sink Sink) {
	var err error
	for batch := range st.work {
		if err != nil {
			continue // drain
		}
		for i := range batch {
			it := &batch[i]
			switch {
			case it.log != nil:
				switch {
				case it.key != nil && tmplMasked != nil:
					it.log.TemplateID = tmplMasked(it.key)
				case tmpl != nil:
					it.log.TemplateID = tmpl(it.log.Message)
				}
				err = sink.Log(it.log)
			case it.http != nil:
				err = sink.HTTP(it.http)
			case it.rec != nil:
				err = sink.Emit(it.rec)
			case it.note != nil:
				err = sink.Note(it.note)
			case it.reject:
				err = sink.Reject(it.rejectLine, it.reason, it.raw)
			}
			if err != nil {
				break
			}
		}
	}
	st.done <- err
}

func (st *stage) push(it item) error {
	if st.err != nil {
		return st.err
	}
	st.buf = append(st.buf, it)
	if len(st.buf) < stageBatch {
		return nil
	}
	return st.send()
}

func (st *stage) send() error {
	if len(st.buf) == 0 {
		return nil
	}
	select {
	case st.work <- st.buf:
	case err := <-st.done:
		// the second goroutine stopped with an error
		st.err = err
		st.done <- err
		return err
	}
	st.buf = make([]item, 0, stageBatch)
	return nil
}

// finish sends what is buffered, waits for the stage to drain and returns
// its first error.
func (st *stage) finish() error {
	if st.err != nil {
		close(st.work)
		return st.err
	}
	err := st.send()
	close(st.work)
	if e := <-st.done; err == nil {
		err = e
	}
	st.in.stage = nil
	return err
}
