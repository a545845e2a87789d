#pragma once
// Runs a test body as a coroutine on its own io_context to completion; the
// 60 s deadline only guards a hang (it is not a timing assertion).
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <exception>

template <class F>
void run_net_coroutine_test(F body) {
  boost::asio::io_context ctx;
  std::exception_ptr failure;
  bool done = false;
  boost::asio::co_spawn(ctx, body(ctx), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  ctx.run_for(std::chrono::seconds(60));
  ASSERT_TRUE(done) << "coroutine did not finish (hang)";
  if (failure) std::rethrow_exception(failure);
}
