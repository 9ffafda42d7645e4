package stdio

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// writeTimeout bounds one write to a child's stdin: a child that stops
// reading is ended rather than left to block its session.
const writeTimeout = 30 * time.Second

// streamBuffer is how many messages wait for a slow GET stream before
// more are dropped.
const streamBuffer = 64

// child is one running server process and the requests waiting on it.
type child struct {
	b       *Bridge
	owner   authresult.BindingKey
	session string // "" for a principal's child
	cmd     *exec.Cmd
	stdin   *os.File

	wmu sync.Mutex // one message at a time on stdin

	mu      sync.Mutex
	pending map[string]*call // by the id the bridge gave the request
	next    int64
	busy    int
	idle    *time.Timer
	stream  chan []byte // the open GET stream's queue; nil when none

	done       chan struct{} // closed when the child is ending
	exited     chan struct{} // closed when the process has been waited for
	groupEnded bool          // the group was killed before the reap; set before exited closes
	queued     atomic.Int64  // bytes of messages waiting in its queues
	stopOnce   sync.Once
	stopped    chan struct{} // closed when the process and its group are gone

	// A principal's child is initialized by the bridge: ready is closed
	// once init holds the result (or initErr why not).
	ready   chan struct{}
	init    json.RawMessage
	initErr error
}

// call is one request waiting for its answer.
type call struct {
	clientID json.RawMessage // restored on the response
	resp     chan []byte     // the response, with the client's id
	progress string          // the request's progress token; "" for none
	notes    chan []byte     // its progress, for an SSE response; nil for JSON
}

// start runs the command for owner.
func (b *Bridge) start(owner authresult.BindingKey, session string) (*child, error) {
	cmd := exec.Command(b.cfg.command[0], b.cfg.command[1:]...)
	cmd.Env = b.cfg.env // never nil: nothing of the gateway's own
	cmd.Dir = b.cfg.dir
	cmd.Stderr = b.cfg.stderr
	cmd.WaitDelay = b.cfg.stop
	ownGroup(cmd)
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		_, _ = inR.Close(), inW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	err = cmd.Start()
	_, _ = inR.Close(), outW.Close() // the child's ends
	if err != nil {
		_, _ = inW.Close(), outR.Close()
		return nil, err
	}
	c := &child{
		b: b, owner: owner, session: session, cmd: cmd, stdin: inW,
		pending: map[string]*call{}, done: make(chan struct{}), exited: make(chan struct{}),
		stopped: make(chan struct{}), ready: make(chan struct{}),
	}
	go func() {
		if waitExited(cmd.Process.Pid) {
			// Not reaped yet, so its group id is still its own: end what
			// it started and left behind, then reap it.
			signalGroup(cmd.Process.Pid, sigKill)
			c.groupEnded = true
		}
		_ = cmd.Wait()
		close(c.exited)
	}()
	go c.read(outR)
	b.cfg.log.LogAttrs(context.Background(), slog.LevelInfo, "mcpauth: stdio server started",
		slog.Int("pid", cmd.Process.Pid), slog.Bool("session", session != ""))
	return c, nil
}

// read dispatches the child's messages until its stdout ends, then ends
// the child.
func (c *child) read(out *os.File) {
	defer func() { _ = out.Close() }()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 0, 64<<10), c.b.cfg.maxMessage)
	for sc.Scan() {
		c.dispatch(sc.Bytes())
	}
	reason := "exited"
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		reason = "message over MaxMessageBytes"
	}
	go c.stop(reason)
}

// dispatch routes one message from the child: a response to the request
// waiting for it, a notification to the request it reports on or to the
// session's stream, a request to the session's stream (or an error back
// when there is no client to ask).
func (c *child) dispatch(line []byte) {
	e, err := parse(line)
	if err != nil {
		return // not a message (a server must not write anything else)
	}
	switch {
	case e.isResponse():
		c.mu.Lock()
		cl := c.pending[string(e.ID)]
		delete(c.pending, string(e.ID))
		c.mu.Unlock()
		if cl == nil {
			return
		}
		if out, err := withID(line, cl.clientID); err == nil {
			cl.resp <- out
		}
	case e.isRequest():
		if !c.toStream(line) {
			msg := `{"jsonrpc":"2.0","id":` + string(e.ID) + `,"error":{"code":-32603,"message":"no client stream to deliver the request to"}}`
			_ = c.write([]byte(msg))
		}
	default:
		if tok := string(e.progress(false)); tok != "" && c.toCall(tok, line) {
			return
		}
		c.toStream(line)
	}
}

// toCall gives a progress notification to the SSE response of the request
// that asked for it.
func (c *child) toCall(token string, line []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cl := range c.pending {
		if cl.progress == token && cl.notes != nil {
			c.offer(cl.notes, line)
			return true
		}
	}
	return false
}

// toStream queues a message for the session's GET stream; false when none
// is open. A full queue drops the message.
func (c *child) toStream(line []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stream == nil {
		return false
	}
	if !c.offer(c.stream, line) {
		c.b.cfg.log.Warn("mcpauth: stdio server message dropped: the client's stream is not reading")
	}
	return true
}

// queueBudget is how many bytes of messages one child may have waiting
// for its clients, in every queue together, per MaxMessageBytes.
const queueBudget = 4

// offer queues a copy of line on q unless q is full or the child's queued
// messages would exceed its budget (queueBudget times MaxMessageBytes):
// then it is dropped, so that a server whose clients do not read cannot
// hold more of the gateway's memory than that.
func (c *child) offer(q chan []byte, line []byte) bool {
	n := int64(len(line))
	if c.queued.Add(n) > int64(queueBudget*c.b.cfg.maxMessage) {
		c.queued.Add(-n)
		return false
	}
	select {
	case q <- append([]byte(nil), line...):
		return true
	default:
		c.queued.Add(-n)
		return false
	}
}

// taken gives back the budget of a message taken off a queue.
func (c *child) taken(msg []byte) { c.queued.Add(-int64(len(msg))) }

// drain empties a queue nothing will read any more, giving back its
// budget; its producers must be gone (the call or stream unregistered).
func (c *child) drain(q chan []byte) {
	for {
		select {
		case m := <-q:
			c.taken(m)
		default:
			return
		}
	}
}

// write sends one message to the child; a child that cannot take it is
// ended.
func (c *child) write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	select {
	case <-c.done:
		return ErrChildExited
	default:
	}
	_ = c.stdin.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.stdin.Write(append(msg, '\n'))
	if err != nil {
		go c.stop("stdin refused a message")
		return ErrChildExited
	}
	return nil
}

// send forwards request msg (the client's id in e) under an id of the
// bridge's, registering the call that its response will reach.
func (c *child) send(msg []byte, e *envelope, withNotes bool) (*call, string, error) {
	c.mu.Lock()
	c.next++
	id := strconv.FormatInt(c.next, 10)
	cl := &call{clientID: e.ID, resp: make(chan []byte, 1), progress: string(e.progress(true))}
	if withNotes && cl.progress != "" {
		cl.notes = make(chan []byte, streamBuffer)
	}
	c.pending[id] = cl
	c.mu.Unlock()
	out, err := withID(msg, json.RawMessage(id))
	if err == nil {
		err = c.write(out)
	}
	if err != nil {
		c.forget(id)
		return nil, "", err
	}
	return cl, id, nil
}

// forget drops a call that will not be waited for.
func (c *child) forget(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// cancel tells the child a request's client went away.
func (c *child) cancel(id string) {
	c.forget(id)
	_ = c.write([]byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":` + id + `,"reason":"the client went away"}}`))
}

// cancelled ends the call the client cancelled: the child is told, and
// the request still waiting for it is answered at once.
func (c *child) cancelled(id string) {
	c.mu.Lock()
	cl := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if cl == nil {
		return
	}
	c.cancel(id)
	cl.resp <- []byte(`{"jsonrpc":"2.0","id":` + string(cl.clientID) + `,"error":{"code":-32800,"message":"Request cancelled"}}`)
}

// clientToBridge returns the bridge's id of the pending call the client
// knows as id; "" when none is.
func (c *child) clientToBridge(id json.RawMessage) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for bid, cl := range c.pending {
		if string(cl.clientID) == string(id) {
			return bid
		}
	}
	return ""
}

// acquire marks the child in use: it does not idle out meanwhile.
func (c *child) acquire() {
	c.mu.Lock()
	c.busy++
	if c.idle != nil {
		c.idle.Stop()
	}
	c.mu.Unlock()
}

// release ends a use; the last one starts the idle timer.
func (c *child) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy--
	if c.busy > 0 {
		return
	}
	if c.idle == nil {
		c.idle = time.AfterFunc(c.b.cfg.idle, c.expire)
	} else {
		c.idle.Reset(c.b.cfg.idle)
	}
}

// expire ends a child still idle when its timer fires. Lookups take
// their use under b.mu, so a child found idle here, and unindexed at
// once, is one no request holds or can find.
func (c *child) expire() {
	b := c.b
	b.mu.Lock()
	c.mu.Lock()
	idle := c.busy == 0
	c.mu.Unlock()
	if idle {
		b.unindex(c)
	}
	b.mu.Unlock()
	if idle {
		c.stop("idle")
	}
}

// stop ends the child and waits until it and every process of its group
// are gone: stdin closed, then SIGTERM, then SIGKILL, each after
// StopTimeout. Every waiting request fails with ErrChildExited.
func (c *child) stop(reason string) {
	c.stopOnce.Do(func() {
		close(c.done)
		c.b.forget(c)
		c.mu.Lock()
		if c.idle != nil {
			c.idle.Stop()
		}
		c.mu.Unlock()
		c.wmu.Lock()
		_ = c.stdin.Close()
		c.wmu.Unlock()
		pid := c.cmd.Process.Pid
		wait := func() bool {
			select {
			case <-c.exited:
				return true
			case <-time.After(c.b.cfg.stop):
				return false
			}
		}
		if !wait() {
			signalGroup(pid, sigTerm)
			if !wait() {
				signalGroup(pid, sigKill)
				<-c.exited
			}
		}
		if !c.groupEnded { // read after exited closed
			signalGroup(pid, sigKill) // what it started and left behind
		}
		c.b.cfg.log.LogAttrs(context.Background(), slog.LevelInfo, "mcpauth: stdio server ended",
			slog.Int("pid", pid), slog.String("reason", reason))
		close(c.stopped)
		c.b.live.Done()
	})
	<-c.stopped
}
