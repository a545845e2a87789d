#pragma once
// A stand-in for a server's HTTP API on 127.0.0.1 (port 0) whose store read
// stalls: POST /channel/messagesync answers the head request (start 0) with
// an empty page, the first page of a read with one message and `more`, and
// then never answers the next page (the connection stays open); or, with
// Stall::head, never answers even the head request. What a
// `wkit send --check-via` sees of an API that hangs in the middle of a
// paged read. One thread, poll(2); stopped and joined on scope exit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace wkit::testing {

class StallingMessagesync {
 public:
  enum class Stall { second_page, head };
  explicit StallingMessagesync(Stall where = Stall::second_page) : where_(where) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 16) != 0)
      throw std::runtime_error("stalling messagesync: bind/listen failed");
    socklen_t n = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &n);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~StallingMessagesync() {
    done_ = true;
    thread_.join();
    for (auto& c : conns_) ::close(c.fd);
    ::close(listen_fd_);
  }
  StallingMessagesync(const StallingMessagesync&) = delete;
  StallingMessagesync& operator=(const StallingMessagesync&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Waits until a page request is being held unanswered.
  bool wait_stalled(std::chrono::seconds limit) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [this] { return stalled_; });
  }
  int pages_answered() {
    std::lock_guard lk(mu_);
    return pages_answered_;
  }

 private:
  struct Conn {
    int fd;
    std::string in;
    bool stalled = false;
  };

  void serve() {
    while (!done_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& c : conns_) fds.push_back({c.fd, short(c.stalled ? 0 : POLLIN), 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd >= 0) conns_.push_back({fd, {}});
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        Conn& c = conns_[i - 1];
        char buf[4096];
        const ssize_t got = ::read(c.fd, buf, sizeof buf);
        if (got <= 0) {
          c.stalled = true;  // closed by the client: nothing more to read
          continue;
        }
        c.in.append(buf, size_t(got));
        answer_whole_requests(c);
      }
    }
  }

  void answer_whole_requests(Conn& c) {
    for (;;) {
      const auto head_end = c.in.find("\r\n\r\n");
      if (head_end == std::string::npos) return;
      size_t length = 0;
      const auto cl = c.in.find("Content-Length: ");
      if (cl != std::string::npos && cl < head_end) length = std::stoul(c.in.substr(cl + 16));
      if (c.in.size() < head_end + 4 + length) return;
      const auto req = nlohmann::json::parse(c.in.substr(head_end + 4, length), nullptr, false);
      c.in.erase(0, head_end + 4 + length);
      const uint64_t start = req.is_object() ? req.value("start_message_seq", uint64_t(0)) : 0;
      if (start == 0 && where_ == Stall::second_page) {
        reply(c.fd, R"({"start_message_seq":0,"end_message_seq":0,"more":0,"messages":[]})");
      } else if (start == 1 && where_ == Stall::second_page) {
        reply(c.fd, R"({"more":1,"messages":[{"message_id":900001,"message_seq":1,"client_msg_no":"not-this-run",)"
                    R"("from_uid":"someone","channel_id":"bob","channel_type":1,"timestamp":1,"payload":"aGk="}]})");
        std::lock_guard lk(mu_);
        ++pages_answered_;
      } else {
        c.stalled = true;  // the next page: never answered
        std::lock_guard lk(mu_);
        stalled_ = true;
        cv_.notify_all();
        return;
      }
    }
  }

  static void reply(int fd, const std::string& body) {
    const std::string r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
    (void)!::write(fd, r.data(), r.size());
  }

  Stall where_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::vector<Conn> conns_;
  std::atomic<bool> done_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalled_ = false;
  int pages_answered_ = 0;
  std::thread thread_;
};

}  // namespace wkit::testing
