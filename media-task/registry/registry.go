// Package registry keeps this relay's item in the task registry the API
// reads to place sessions: a heartbeat every 10 s with the current load,
// draining=true once the relay drains, and the item deleted on exit.
package registry

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Interval is how often the heartbeat is written.
const Interval = 10 * time.Second

// TTL is how long an item outlives its last heartbeat.
const TTL = 60 * time.Second

// Item is one relay's registry entry.
type Item struct {
	TaskID      string
	SignalURL   string
	Load        int
	Draining    bool
	HeartbeatAt time.Time
	// PrivateAddr is host:port of the task's signaling server inside the
	// VPC, where other tasks forward joins of the sessions it hosts.
	PrivateAddr string
}

// Store writes registry items.
type Store interface {
	Put(ctx context.Context, it Item) error
	Delete(ctx context.Context, taskID string) error
}

// Nop is a Store that writes nothing, for runs without a registry.
type Nop struct{}

var _ Store = Nop{}

// Put does nothing.
func (Nop) Put(context.Context, Item) error { return nil }

// Delete does nothing.
func (Nop) Delete(context.Context, string) error { return nil }

// Heartbeat writes this relay's item.
type Heartbeat struct {
	store     Store
	taskID    string
	signalURL string
	load      func() int
	log       *slog.Logger
	now       func() time.Time
	interval  time.Duration

	draining atomic.Bool
	private  atomic.Value // string
	mu       sync.Mutex   // serialises writes
	failures atomic.Uint64
}

// NewHeartbeat returns a Heartbeat reading the load from load.
func NewHeartbeat(store Store, taskID, signalURL string, load func() int, log *slog.Logger) *Heartbeat {
	if log == nil {
		log = slog.Default()
	}
	return &Heartbeat{
		store: store, taskID: taskID, signalURL: signalURL, load: load, log: log,
		now: time.Now, interval: Interval,
	}
}

// Beat writes the item once.
func (h *Heartbeat) Beat(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := h.store.Put(ctx, Item{
		TaskID:      h.taskID,
		SignalURL:   h.signalURL,
		Load:        h.load(),
		Draining:    h.draining.Load(),
		HeartbeatAt: h.now().UTC(),
		PrivateAddr: h.PrivateAddr(),
	})
	if err != nil {
		h.failures.Add(1)
		h.log.Warn("registry heartbeat failed", "err", err)
	}
	return err
}

// Run beats at once and then every interval until ctx ends.
func (h *Heartbeat) Run(ctx context.Context) {
	_ = h.Beat(ctx)
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = h.Beat(ctx)
		}
	}
}

// SetDraining marks the relay draining and writes the item at once.
func (h *Heartbeat) SetDraining(ctx context.Context) error {
	h.draining.Store(true)
	return h.Beat(ctx)
}

// Remove deletes the item.
func (h *Heartbeat) Remove(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return h.store.Delete(ctx, h.taskID)
}

// SetPrivateAddr sets the address written as the item's privateAddr.
func (h *Heartbeat) SetPrivateAddr(addr string) { h.private.Store(addr) }

// PrivateAddr returns the address set by SetPrivateAddr.
func (h *Heartbeat) PrivateAddr() string {
	s, _ := h.private.Load().(string)
	return s
}
