package demo

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"
)

// ntpEpochOffset is the number of seconds between 1900-01-01 (NTP era 0) and
// the Unix epoch.
const ntpEpochOffset = 2208988800

// NTPServer is a minimal SNTP server (RFC 4330 server side) on a loopback UDP
// port whose clock runs Skew ahead of the host's. It answers what beevik/ntp
// validates: stratum 2, fresh reference time, small root distance, origin
// timestamp echoed.
type NTPServer struct {
	Skew time.Duration

	conn *net.UDPConn
	wg   sync.WaitGroup
}

// StartNTP listens on 127.0.0.1 on a free port and serves until Close.
func StartNTP(skew time.Duration) (*NTPServer, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	s := &NTPServer{Skew: skew, conn: conn}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is host:port, usable as a clock.ntp_servers entry.
func (s *NTPServer) Addr() string { return s.conn.LocalAddr().String() }

// Close stops the server.
func (s *NTPServer) Close() error {
	err := s.conn.Close()
	s.wg.Wait()
	return err
}

func (s *NTPServer) serve() {
	defer s.wg.Done()
	buf := make([]byte, 512)
	for {
		n, addr, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if n < 48 {
			continue
		}
		recv := time.Now().Add(s.Skew)
		resp := ntpResponse(buf[:48], recv, time.Now().Add(s.Skew))
		_, _ = s.conn.WriteToUDP(resp, addr)
	}
}

// ntpResponse builds a server reply to the client request req.
func ntpResponse(req []byte, recv, xmit time.Time) []byte {
	resp := make([]byte, 48)
	version := (req[0] >> 3) & 0x7
	if version == 0 || version > 4 {
		version = 4
	}
	resp[0] = 0<<6 | version<<3 | 4                  // leap none, client's version, mode server
	resp[1] = 2                                      // stratum
	resp[2] = req[2]                                 // poll
	resp[3] = 0xEC                                   // precision 2^-20
	binary.BigEndian.PutUint32(resp[4:], 0x00000100) // root delay ~4 ms
	binary.BigEndian.PutUint32(resp[8:], 0x00000100) // root dispersion ~4 ms
	copy(resp[12:16], "DEMO")
	putNTPTime(resp[16:], xmit.Add(-30*time.Second)) // reference time: last sync 30 s ago
	copy(resp[24:32], req[40:48])                    // origin = client's transmit
	putNTPTime(resp[32:], recv)
	putNTPTime(resp[40:], xmit)
	return resp
}

func putNTPTime(b []byte, t time.Time) {
	sec := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	binary.BigEndian.PutUint64(b, sec<<32|frac)
}
