#include "tests/support/raw_h2_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace dest::testing {
namespace {

constexpr uint8_t kData = 0x0, kHeaders = 0x1, kSettings = 0x4;
constexpr uint8_t kEndStream = 0x1, kEndHeaders = 0x4, kAck = 0x1;
constexpr uint16_t kSettingsInitialWindowSize = 0x4;

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, const std::string& payload) {
  std::string f;
  const uint32_t len = static_cast<uint32_t>(payload.size());
  f.push_back(static_cast<char>(len >> 16));
  f.push_back(static_cast<char>(len >> 8));
  f.push_back(static_cast<char>(len));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift : {24, 16, 8, 0}) f.push_back(static_cast<char>((stream >> shift) & 0xff));
  return f + payload;
}

// An HPACK integer with an N-bit prefix (RFC 7541, 5.1); the prefix bits above N are `first`.
void HpackInt(std::string& out, uint8_t first, int prefix_bits, size_t value) {
  const size_t max = (1u << prefix_bits) - 1;
  if (value < max) {
    out.push_back(static_cast<char>(first | value));
    return;
  }
  out.push_back(static_cast<char>(first | max));
  value -= max;
  while (value >= 128) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// "Literal header field without indexing, new name", no Huffman coding (RFC 7541, 6.2.2).
void HpackLiteral(std::string& out, const std::string& name, const std::string& value) {
  out.push_back(0x00);
  HpackInt(out, 0, 7, name.size());
  out += name;
  HpackInt(out, 0, 7, value.size());
  out += value;
}

}  // namespace

RawH2Client::~RawH2Client() { Close(); }

absl::Status RawH2Client::Connect(int port, uint32_t stream_window, absl::Duration timeout) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect: ", strerror(errno)));
  }
  std::string settings;
  settings.push_back(static_cast<char>(kSettingsInitialWindowSize >> 8));
  settings.push_back(static_cast<char>(kSettingsInitialWindowSize & 0xff));
  for (int shift : {24, 16, 8, 0}) settings.push_back(static_cast<char>((stream_window >> shift) & 0xff));
  if (absl::Status s = SendAll("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + Frame(kSettings, 0, 0, settings));
      !s.ok()) {
    return s;
  }
  // Read frames until the server's SETTINGS (not an ACK) arrives, then acknowledge it.
  const absl::Time deadline = absl::Now() + timeout;
  std::string in;
  while (true) {
    while (in.size() >= 9) {
      const size_t len = (static_cast<uint8_t>(in[0]) << 16) | (static_cast<uint8_t>(in[1]) << 8) |
                         static_cast<uint8_t>(in[2]);
      if (in.size() < 9 + len) break;
      const uint8_t type = static_cast<uint8_t>(in[3]), flags = static_cast<uint8_t>(in[4]);
      in.erase(0, 9 + len);
      if (type == kSettings && (flags & kAck) == 0) return SendAll(Frame(kSettings, kAck, 0, ""));
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("no SETTINGS from server");
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n <= 0) return absl::UnavailableError("connection closed before SETTINGS");
    in.append(buf, static_cast<size_t>(n));
  }
}

absl::Status RawH2Client::OpenStreams(const std::string& method, const std::string& request,
                                      int count) {
  std::string headers;
  HpackLiteral(headers, ":method", "POST");
  HpackLiteral(headers, ":scheme", "http");
  HpackLiteral(headers, ":path", method);
  HpackLiteral(headers, ":authority", "destination");
  HpackLiteral(headers, "content-type", "application/grpc");
  HpackLiteral(headers, "te", "trailers");
  std::string message(5, '\0');  // gRPC frame: uncompressed, 4-byte big-endian length
  const uint32_t len = static_cast<uint32_t>(request.size());
  for (int i = 0; i < 4; ++i) message[1 + i] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
  message += request;
  std::string out;
  for (int i = 0; i < count; ++i) {
    const uint32_t id = next_stream_id_;
    next_stream_id_ += 2;
    out += Frame(kHeaders, kEndHeaders, id, headers);
    out += Frame(kData, kEndStream, id, message);
  }
  return SendAll(out);
}

void RawH2Client::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::Status RawH2Client::SendAll(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace dest::testing
