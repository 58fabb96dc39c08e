// A raw HTTP/2 client for hostile-client tests: it speaks just enough HTTP/2 (preface, SETTINGS,
// HEADERS with literal HPACK fields, one DATA frame) to open gRPC server-streaming calls, and then
// behaves as no well-mannered client would: it advertises a tiny flow-control window and never
// reads again, so the server's writes stall; Close() makes it vanish (the socket is closed with
// the server's data unread, which resets the connection).
//
// Thread-compatible. Every blocking step has a deadline.
#ifndef TESTS_RAW_H2_CLIENT_H_
#define TESTS_RAW_H2_CLIENT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace dest::testing {

class RawH2Client {
 public:
  RawH2Client() = default;
  ~RawH2Client();  // Close()
  RawH2Client(const RawH2Client&) = delete;
  RawH2Client& operator=(const RawH2Client&) = delete;

  // Connects to 127.0.0.1:port, sends the preface and SETTINGS with INITIAL_WINDOW_SIZE =
  // `stream_window` (bytes the server may send per stream before it must wait), and acknowledges
  // the server's SETTINGS.
  absl::Status Connect(int port, uint32_t stream_window, absl::Duration timeout = absl::Seconds(5));

  // Opens `count` calls of `method` (e.g. "/io.linkerd.proxy.destination.Destination/GetProfile"),
  // each with the same serialized request message, and half-closes them.
  absl::Status OpenStreams(const std::string& method, const std::string& request, int count);

  // Closes the socket without reading what the server sent. Idempotent.
  void Close();

 private:
  absl::Status SendAll(const std::string& bytes);
  int fd_ = -1;
  uint32_t next_stream_id_ = 1;
};

}  // namespace dest::testing

#endif  // TESTS_RAW_H2_CLIENT_H_
