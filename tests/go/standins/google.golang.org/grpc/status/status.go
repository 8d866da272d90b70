// Package status is a stand-in for google.golang.org/grpc/status.
package status

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
)

// Status is a gRPC status: a code and a message.
type Status struct {
	code codes.Code
	msg  string
}

// New returns a Status.
func New(c codes.Code, msg string) *Status { return &Status{code: c, msg: msg} }

// Code returns the status code (OK for a nil Status).
func (s *Status) Code() codes.Code {
	if s == nil {
		return codes.OK
	}
	return s.code
}

// Message returns the status message.
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return s.msg
}

// Err returns the status as an error, or nil for OK.
func (s *Status) Err() error {
	if s.Code() == codes.OK {
		return nil
	}
	return &statusError{s}
}

type statusError struct{ s *Status }

func (e *statusError) Error() string {
	return fmt.Sprintf("rpc error: code = %s desc = %s", e.s.code, e.s.msg)
}

func (e *statusError) GRPCStatus() *Status { return e.s }

// Error returns an error with the given code and message (nil for OK).
func Error(c codes.Code, msg string) error { return New(c, msg).Err() }

// Errorf is Error with a format.
func Errorf(c codes.Code, format string, a ...interface{}) error {
	return Error(c, fmt.Sprintf(format, a...))
}

// FromError returns the Status of err; ok is false if err is not a status
// error (the Status is then Unknown).
func FromError(err error) (s *Status, ok bool) {
	if err == nil {
		return nil, true
	}
	var se interface{ GRPCStatus() *Status }
	if errors.As(err, &se) {
		return se.GRPCStatus(), true
	}
	return New(codes.Unknown, err.Error()), false
}

// Convert is FromError without the ok.
func Convert(err error) *Status {
	s, _ := FromError(err)
	return s
}

// Code returns the code of err: OK for nil, Unknown for a non-status error.
func Code(err error) codes.Code { return Convert(err).Code() }

// FromContextError converts a context error to a Status.
func FromContextError(err error) *Status {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return New(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return New(codes.Canceled, err.Error())
	}
	return New(codes.Unknown, err.Error())
}
