// porcupine_peer: checks a faultline history.jsonl (register operations:
// read/write/cas on [key, value]) with Porcupine, for bench/porcupine_compare.sh.
// It times Porcupine on the same file faultline's linearizable_bench
// --read-history checks.
//
//	porcupine_peer [-timeout 60s] HISTORY.jsonl
//
// Semantics follow faultline's checker: a failed operation did not happen and
// is dropped; an info read is dropped (it observed nothing); an info write or
// cas, or an operation never completed, may have happened at any time after
// its call, so its return is math.MaxInt64 (after everything, as Porcupine's
// own etcd test closes open calls at the end) with an unknown output.
// Porcupine's source is not part of faultline: go.mod's replace directive
// points at a checkout the script names.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"time"

	"github.com/anishathalye/porcupine"
)

type line struct {
	Type    string          `json:"type"`
	Process int64           `json:"process"`
	F       string          `json:"f"`
	Value   json.RawMessage `json:"value"`
	Time    int64           `json:"time"`
}

const (
	opRead = iota
	opWrite
	opCas
)

// A register value: nil (never written) or an integer.
type value struct {
	null bool
	v    int64
}

type input struct {
	key      string
	op       int
	arg      value // write: the value; cas: the expected value
	newValue int64 // cas
}

type output struct {
	unknown bool  // info or never completed
	read    value // ok read
}

func parseValue(raw json.RawMessage) (value, error) {
	if string(raw) == "null" {
		return value{null: true}, nil
	}
	var v int64
	err := json.Unmarshal(raw, &v)
	return value{v: v}, err
}

// The state is nil or an int64 (interface{} holding one), per key.
var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string]int{}
		var parts [][]porcupine.Operation
		for _, op := range history {
			k := op.Input.(input).key
			i, ok := byKey[k]
			if !ok {
				i = len(parts)
				byKey[k] = i
				parts = append(parts, nil)
			}
			parts[i] = append(parts[i], op)
		}
		return parts
	},
	Init: func() interface{} { return nil },
	Step: func(state, in, out interface{}) (bool, interface{}) {
		i := in.(input)
		o := out.(output)
		matches := func(v value) bool {
			if state == nil {
				return v.null
			}
			return !v.null && state.(int64) == v.v
		}
		switch i.op {
		case opRead:
			return o.unknown || matches(o.read), state
		case opWrite:
			return true, i.arg.v
		default: // cas; failed ones were dropped, so an ok one took effect
			if matches(i.arg) {
				return true, i.newValue
			}
			return o.unknown, state
		}
	},
	Equal: func(a, b interface{}) bool { return a == b },
	Hash: func(state interface{}) uint64 {
		if state == nil {
			return 0
		}
		return uint64(state.(int64))*0x9e3779b97f4a7c15 + 1
	},
}

func main() {
	timeout := flag.Duration("timeout", 60*time.Second, "Porcupine's check timeout (0: none)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: porcupine_peer [-timeout 60s] HISTORY.jsonl")
		os.Exit(2)
	}
	path := flag.Arg(0)
	t0 := time.Now()
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "porcupine_peer: %v\n", err)
		os.Exit(2)
	}
	defer f.Close()
	type pending struct {
		in   input
		call int64
	}
	open := map[int64]pending{}
	var history []porcupine.Operation
	dropped := map[string]int{}
	entries := 0
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<26)
	for scanner.Scan() {
		entries++
		var l line
		if err := json.Unmarshal(scanner.Bytes(), &l); err != nil {
			fmt.Fprintf(os.Stderr, "porcupine_peer: %s:%d: %v\n", path, entries, err)
			os.Exit(2)
		}
		if l.Type == "invoke" {
			var kv []json.RawMessage
			if err := json.Unmarshal(l.Value, &kv); err != nil || len(kv) != 2 {
				fmt.Fprintf(os.Stderr, "porcupine_peer: %s:%d: value is not [key, v]\n", path, entries)
				os.Exit(2)
			}
			var in input
			if err := json.Unmarshal(kv[0], &in.key); err != nil {
				fmt.Fprintf(os.Stderr, "porcupine_peer: %s:%d: key is not a string\n", path, entries)
				os.Exit(2)
			}
			switch l.F {
			case "read":
				in.op = opRead
			case "write":
				in.op = opWrite
				in.arg, err = parseValue(kv[1])
			case "cas":
				in.op = opCas
				var en []json.RawMessage
				if err = json.Unmarshal(kv[1], &en); err == nil && len(en) == 2 {
					in.arg, err = parseValue(en[0])
					if err == nil {
						err = json.Unmarshal(en[1], &in.newValue)
					}
				} else if err == nil {
					err = fmt.Errorf("cas value is not [expected, new]")
				}
			default:
				err = fmt.Errorf("f %q is not read, write or cas", l.F)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "porcupine_peer: %s:%d: %v\n", path, entries, err)
				os.Exit(2)
			}
			open[l.Process] = pending{in, l.Time}
			continue
		}
		p, ok := open[l.Process]
		if !ok {
			continue // a completion with no invocation (nemesis lines, say)
		}
		delete(open, l.Process)
		switch l.Type {
		case "fail":
			dropped["fail"]++
		case "info":
			if p.in.op == opRead {
				dropped["info read"]++
				continue
			}
			history = append(history, porcupine.Operation{ClientId: int(l.Process), Input: p.in, Call: p.call,
				Output: output{unknown: true}, Return: math.MaxInt64})
		case "ok":
			var out output
			if p.in.op == opRead {
				var kv []json.RawMessage
				if err := json.Unmarshal(l.Value, &kv); err != nil || len(kv) != 2 {
					fmt.Fprintf(os.Stderr, "porcupine_peer: %s:%d: value is not [key, v]\n", path, entries)
					os.Exit(2)
				}
				if out.read, err = parseValue(kv[1]); err != nil {
					fmt.Fprintf(os.Stderr, "porcupine_peer: %s:%d: %v\n", path, entries, err)
					os.Exit(2)
				}
			}
			history = append(history, porcupine.Operation{ClientId: int(l.Process), Input: p.in, Call: p.call,
				Output: out, Return: l.Time})
		}
	}
	if err := scanner.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "porcupine_peer: %s: %v\n", path, err)
		os.Exit(2)
	}
	for proc, p := range open {
		if p.in.op == opRead {
			dropped["open read"]++
			continue
		}
		history = append(history, porcupine.Operation{ClientId: int(proc), Input: p.in, Call: p.call,
			Output: output{unknown: true}, Return: math.MaxInt64})
	}
	read := time.Since(t0)
	fmt.Printf("history: %s, %d entries, %d operations checked (dropped: %d fail, %d info read, %d open read); "+
		"read in %.1f s; GOMAXPROCS %d\n", path, entries, len(history), dropped["fail"], dropped["info read"],
		dropped["open read"], read.Seconds(), runtime.GOMAXPROCS(0))
	start := time.Now()
	result := porcupine.CheckOperationsTimeout(registerModel, history, *timeout)
	spent := time.Since(start)
	fmt.Printf("porcupine: %s in %.3f s (timeout %s), %.0f operations/s\n", result, spent.Seconds(), *timeout,
		float64(len(history))/spent.Seconds())
	switch result {
	case porcupine.Ok:
		os.Exit(0)
	case porcupine.Illegal:
		os.Exit(1)
	default:
		os.Exit(3)
	}
}
