package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/miner/hw"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "hw",
		Usage: "print this machine's hardware inventory (GPUs through NVML, or CPU-only) as a miner reports it",
		Flags: []cli.Flag{outputFlag},
		Action: func(c *cli.Context) error {
			s := hw.Inventory(hw.NewNVML())
			return render(c, s, func(w io.Writer) error { return printHW(w, s) })
		},
	})
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func printHW(w io.Writer, s hw.Summary) error {
	fmt.Fprintf(w, "cpu cores:  %d\nmemory:     %.1f GiB\n", s.CPUCores, float64(s.MemoryBytes)/(1<<30))
	if s.CPUOnly {
		fmt.Fprintln(w, "gpus:       none (CPU-only)")
	} else {
		fmt.Fprintf(w, "driver:     %s (CUDA %s)\n", s.DriverVersion, s.CUDAVersion)
		for _, g := range s.GPUs {
			util := fmt.Sprintf("util %d%% (mem %d%%)", g.UtilGPU, g.UtilMemory)
			if slices.Contains(g.Unsupported, "utilization") {
				util = "util unknown"
			}
			fmt.Fprintf(w, "gpu %d:      %s %s, memory %.1f/%.1f GiB, %s, compute capability %s, MIG %s\n", g.Index, g.Name, g.UUID,
				float64(g.MemoryUsed)/(1<<30), float64(g.MemoryTotal)/(1<<30), util, orUnknown(g.ComputeCapability), orUnknown(g.MIGMode))
			if g.MIGPendingMode != "" {
				fmt.Fprintf(w, "            MIG %s after the next GPU reset\n", g.MIGPendingMode)
			}
			for _, m := range g.MIGDevices {
				fmt.Fprintf(w, "  mig %d:    %s %s, memory %.1f GiB, gpu instance %d, compute instance %d\n", m.Index, m.Name, m.UUID,
					float64(m.MemoryTotal)/(1<<30), m.GPUInstance, m.ComputeInstance)
			}
		}
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "note:       %s\n", warn)
	}
	_, err := fmt.Fprintf(w, "serve hw:   %s\n", s.Canonical())
	return err
}
