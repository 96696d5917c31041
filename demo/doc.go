// Package demo builds the simulated world behind `keywarden demo`: fake
// exchanges on loopback with throwaway keys held in memory, an NTP responder
// with a skewed clock, public-IP echo servers answering a TEST-NET address,
// and a bot writing an audit log. Everything is torn down by World.Close.
package demo
