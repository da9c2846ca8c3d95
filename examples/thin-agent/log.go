package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// parseLevel parses "debug", "info", "warn" or "error", case-insensitively.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf(`must be "debug", "info", "warn" or "error"`)
}

// newLogger returns the agent's logger writing to w in the configured format and level
// (validated before).
func newLogger(c logConfig, w io.Writer) *slog.Logger {
	lvl, _ := parseLevel(c.Level)
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
