// Package kafka is a stand-in for github.com/segmentio/kafka-go, backed by
// an in-memory broker (one partition per topic) shared by every reader and
// writer in the process.
//
// Stand-in behaviour: every open Reader holds one goroutine from NewReader
// until Close; a Writer starts one on its first WriteMessages (as the real
// one does) and holds it until Close. Readers in the same GroupID share the
// group's single partition: each message is fetched by one of them,
// ReadMessage commits it and FetchMessage does not, and when a group reader
// closes, the group goes back to its committed offset (uncommitted messages
// are fetched again). Readers without a group start at offset 0. Reads on a closed Reader
// return io.EOF and writes on a closed Writer io.ErrClosedPipe, as with the
// real package.
package kafka

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"standins.test/shared/life"
)

var readers, writers life.Counter

// OpenClients reports how many Readers and started Writers are not closed.
func OpenClients() int64 { return readers.Open() + writers.Open() }

// Constructed reports how many Readers and started Writers there have been.
func Constructed() int64 { return readers.Made() + writers.Made() }

// OpenReaders reports how many Readers are not closed.
func OpenReaders() int64 { return readers.Open() }

// OpenWriters reports how many Writers have written and are not closed.
func OpenWriters() int64 { return writers.Open() }

// Header is a message header.
type Header struct {
	Key   string
	Value []byte
}

// Message is a Kafka message.
type Message struct {
	Topic         string
	Partition     int
	Offset        int64
	HighWaterMark int64
	Key           []byte
	Value         []byte
	Headers       []Header
	WriterData    interface{}
	Time          time.Time
}

var broker = struct {
	sync.Mutex
	logs      map[string][]Message
	committed map[string]int64 // by group + "/" + topic
	fetched   map[string]int64 // next offset a group member fetches
	changed   chan struct{}    // closed and replaced on every append
}{logs: map[string][]Message{}, committed: map[string]int64{}, fetched: map[string]int64{}, changed: make(chan struct{})}

// Offsets for ReaderConfig.StartOffset.
const (
	FirstOffset = -2
	LastOffset  = -1
)

// ReaderConfig configures a Reader.
type ReaderConfig struct {
	Brokers        []string
	GroupID        string
	Topic          string
	Partition      int
	MinBytes       int
	MaxBytes       int
	MaxWait        time.Duration
	CommitInterval time.Duration
	StartOffset    int64
}

// Reader reads messages of a topic. It must be closed.
type Reader struct {
	cfg    ReaderConfig
	h      *life.Handle
	mu     sync.Mutex
	offset int64
	init   bool
}

// NewReader returns a reader. Like the real one, it panics on an invalid
// config.
func NewReader(config ReaderConfig) *Reader {
	if len(config.Brokers) == 0 {
		panic("cannot create a new kafka reader with an empty list of broker addresses")
	}
	if config.Topic == "" {
		panic("cannot create a new kafka reader with an empty topic")
	}
	return &Reader{cfg: config, h: life.Start(&readers, "kafka", nil)}
}

// Config returns the reader's config.
func (r *Reader) Config() ReaderConfig { return r.cfg }

// Close closes the reader. Closing twice is harmless.
func (r *Reader) Close() error {
	if r.h.Release() && r.cfg.GroupID != "" {
		broker.Lock()
		broker.fetched[r.groupKey()] = broker.committed[r.groupKey()]
		broker.Unlock()
	}
	return nil
}

// Offset returns the offset of the next message (-1 with a GroupID).
func (r *Reader) Offset() int64 {
	if r.cfg.GroupID != "" {
		return -1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.offset
}

// SetOffset sets the offset of the next message (not with a GroupID).
func (r *Reader) SetOffset(offset int64) error {
	if r.cfg.GroupID != "" {
		return errors.New("unavailable when GroupID is set")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.offset, r.init = offset, true
	return nil
}

func (r *Reader) groupKey() string { return r.cfg.GroupID + "/" + r.cfg.Topic }

// ReadMessage reads the next message and, with a GroupID, commits it. It
// blocks until a message arrives, ctx is done, or the reader is closed
// (io.EOF).
func (r *Reader) ReadMessage(ctx context.Context) (Message, error) {
	m, err := r.FetchMessage(ctx)
	if err == nil && r.cfg.GroupID != "" {
		err = r.CommitMessages(ctx, m)
	}
	return m, err
}

// FetchMessage reads the next message without committing it.
func (r *Reader) FetchMessage(ctx context.Context) (Message, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if r.h.Released() {
			return Message{}, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return Message{}, err
		}
		broker.Lock()
		if !r.init {
			r.init = true
			if r.cfg.StartOffset == LastOffset {
				r.offset = int64(len(broker.logs[r.cfg.Topic]))
			}
		}
		if r.cfg.GroupID != "" {
			r.offset = broker.fetched[r.groupKey()]
		}
		log := broker.logs[r.cfg.Topic]
		if r.offset < int64(len(log)) {
			m := log[r.offset]
			m.HighWaterMark = int64(len(log))
			r.offset++
			if r.cfg.GroupID != "" {
				broker.fetched[r.groupKey()] = r.offset
			}
			broker.Unlock()
			return m, nil
		}
		wait := broker.changed
		broker.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
		case <-r.h.Done():
		}
	}
}

// CommitMessages commits the offsets of msgs for the reader's group.
func (r *Reader) CommitMessages(ctx context.Context, msgs ...Message) error {
	if r.cfg.GroupID == "" {
		return errors.New("unavailable when GroupID is not set")
	}
	if r.h.Released() {
		return io.EOF
	}
	broker.Lock()
	defer broker.Unlock()
	for _, m := range msgs {
		if m.Offset+1 > broker.committed[r.groupKey()] {
			broker.committed[r.groupKey()] = m.Offset + 1
		}
	}
	return nil
}

// Balancer picks a partition for a message.
type Balancer interface {
	Balance(msg Message, partitions ...int) (partition int)
}

// LeastBytes balances by bytes written.
type LeastBytes struct{}

// Balance returns the first partition.
func (*LeastBytes) Balance(msg Message, partitions ...int) int { return partitions[0] }

// Hash balances by key hash.
type Hash struct{}

// Balance returns the first partition.
func (*Hash) Balance(msg Message, partitions ...int) int { return partitions[0] }

// RoundRobin balances in turn.
type RoundRobin struct{}

// Balance returns the first partition.
func (*RoundRobin) Balance(msg Message, partitions ...int) int { return partitions[0] }

// RequiredAcks is the number of acknowledgements a write waits for.
type RequiredAcks int

// The RequiredAcks values.
const (
	RequireNone RequiredAcks = 0
	RequireOne  RequiredAcks = 1
	RequireAll  RequiredAcks = -1
)

type netAddr struct{ network, address string }

func (a netAddr) Network() string { return a.network }
func (a netAddr) String() string  { return a.address }

// TCP returns the address of brokers reached over TCP.
func TCP(address ...string) net.Addr { return netAddr{"tcp", strings.Join(address, ",")} }

// Writer writes messages. It starts a goroutine on its first write; Close
// it when done.
type Writer struct {
	Addr                   net.Addr
	Topic                  string
	Balancer               Balancer
	MaxAttempts            int
	BatchSize              int
	BatchBytes             int64
	BatchTimeout           time.Duration
	ReadTimeout            time.Duration
	WriteTimeout           time.Duration
	RequiredAcks           RequiredAcks
	Async                  bool
	Completion             func(messages []Message, err error)
	AllowAutoTopicCreation bool

	mu     sync.Mutex
	h      *life.Handle
	closed bool
}

// WriterConfig configures NewWriter.
type WriterConfig struct {
	Brokers      []string
	Topic        string
	Balancer     Balancer
	BatchSize    int
	BatchTimeout time.Duration
	RequiredAcks int
	Async        bool
}

// NewWriter returns a Writer. Like the real one, it panics on an invalid
// config.
//
// Deprecated: build a Writer value instead.
func NewWriter(config WriterConfig) *Writer {
	if len(config.Brokers) == 0 {
		panic("cannot create a kafka writer with an empty list of brokers")
	}
	return &Writer{Addr: TCP(config.Brokers...), Topic: config.Topic, Balancer: config.Balancer,
		BatchSize: config.BatchSize, BatchTimeout: config.BatchTimeout,
		RequiredAcks: RequiredAcks(config.RequiredAcks), Async: config.Async}
}

// WriteMessages appends msgs to their topic.
func (w *Writer) WriteMessages(ctx context.Context, msgs ...Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return io.ErrClosedPipe
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(msgs) == 0 {
		return nil
	}
	for _, m := range msgs {
		switch {
		case w.Topic != "" && m.Topic != "":
			return errors.New("kafka.(*Writer): Topic must not be specified for both Writer and Message")
		case w.Topic == "" && m.Topic == "":
			return errors.New("kafka.(*Writer): Topic must be specified for Writer or Message")
		}
	}
	if w.h == nil {
		w.h = life.Start(&writers, "kafka", nil)
	}
	broker.Lock()
	defer broker.Unlock()
	for _, m := range msgs {
		if m.Topic == "" {
			m.Topic = w.Topic
		}
		if m.Time.IsZero() {
			m.Time = time.Now()
		}
		m.Offset = int64(len(broker.logs[m.Topic]))
		broker.logs[m.Topic] = append(broker.logs[m.Topic], m)
	}
	close(broker.changed)
	broker.changed = make(chan struct{})
	if w.Completion != nil {
		w.Completion(msgs, nil)
	}
	return nil
}

// Close flushes and closes the writer. Closing twice is harmless.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.h != nil {
		w.h.Release()
	}
	return nil
}
