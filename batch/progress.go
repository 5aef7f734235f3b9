package batch

import (
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress follows a long stage: a bar on a terminal, periodic log lines
// under cron. Implementations are safe for concurrent use.
type Progress interface {
	// Start begins a stage of total units (0: unknown).
	Start(stage string, total int64)
	Add(n int64)
	// Done ends the stage.
	Done()
}

type nopProgress struct{}

func (nopProgress) Start(string, int64) {}
func (nopProgress) Add(int64)           {}
func (nopProgress) Done()               {}

// NewBarProgress draws a progress bar on w (a terminal).
func NewBarProgress(w io.Writer) Progress { return &barProgress{w: w} }

type barProgress struct {
	w   io.Writer
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func (p *barProgress) Start(stage string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if total <= 0 {
		total = -1
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(stage),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *barProgress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Add64(n)
	}
}

func (p *barProgress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}

// NewLogProgress logs a line with the stage's count at most every interval
// (default 10 s), for runs without a terminal.
func NewLogProgress(log *slog.Logger, interval time.Duration) Progress {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	return &logProgress{log: log, every: interval}
}

type logProgress struct {
	log   *slog.Logger
	every time.Duration

	mu          sync.Mutex
	stage       string
	total, done int64
	last        time.Time
}

func (p *logProgress) Start(stage string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stage, p.total, p.done, p.last = stage, total, 0, time.Now()
}

func (p *logProgress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if time.Since(p.last) >= p.every {
		p.last = time.Now()
		p.log.Info("progress", "stage", p.stage, "done", p.done, "total", p.total)
	}
}

func (p *logProgress) Done() {}
