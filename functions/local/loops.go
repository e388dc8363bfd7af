package main

import (
	"context"
	"sync"
	"time"
)

// loops runs periodic jobs until their context ends; wait returns when all
// have stopped.
type loops struct {
	ctx context.Context
	wg  sync.WaitGroup
}

func newLoops(ctx context.Context) *loops { return &loops{ctx: ctx} }

func (l *loops) every(d time.Duration, job func(context.Context)) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-l.ctx.Done():
				return
			case <-t.C:
				job(l.ctx)
			}
		}
	}()
}

func (l *loops) wait() { l.wg.Wait() }
