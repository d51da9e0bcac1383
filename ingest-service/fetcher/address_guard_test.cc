#include "ingest-service/fetcher/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "gtest/gtest.h"

namespace newsfeed::ingest::internal {
namespace {

Ip6 Ip(const std::string& text) {
  std::optional<Ip6> ip = ParseIp(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(Ip6{});
}

TEST(AddressGuardTest, NonPublicAddresses) {
  for (const char* text : {"127.0.0.1",
                           "127.255.0.9",
                           "10.1.2.3",
                           "172.16.0.1",
                           "172.31.255.255",
                           "192.168.1.1",
                           "169.254.169.254",
                           "100.64.0.1",
                           "0.0.0.0",
                           "224.0.0.1",
                           "255.255.255.255",
                           "::",
                           "::1",
                           "::ffff:127.0.0.1",
                           "::ffff:10.0.0.1",
                           "::127.0.0.1",
                           "fe80::1",
                           "fc00::1",
                           "fd12::1",
                           "ff02::1",
                           "fec0::1",
                           "64:ff9b::a00:1",
                           "2002:a00:1::1"}) {
    EXPECT_TRUE(IsNonPublic(Ip(text))) << text;
  }
}

TEST(AddressGuardTest, PublicAddresses) {
  for (const char* text : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1",
                           "100.128.0.1", "::ffff:8.8.8.8", "2001:4860::8888",
                           "2606:4700::1111", "64:ff9b::808:808"}) {
    EXPECT_FALSE(IsNonPublic(Ip(text))) << text;
  }
}

TEST(AddressGuardTest, ParseCidr) {
  absl::StatusOr<IpNetwork> n = ParseCidr("10.0.0.0/8");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE(n->Contains(Ip("10.200.3.4")));
  EXPECT_TRUE(n->Contains(Ip("::ffff:10.200.3.4")));
  EXPECT_FALSE(n->Contains(Ip("11.0.0.1")));

  n = ParseCidr("fd00::/8");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE(n->Contains(Ip("fd12::1")));
  EXPECT_FALSE(n->Contains(Ip("fc00::1")));

  n = ParseCidr("127.0.0.1");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE(n->Contains(Ip("127.0.0.1")));
  EXPECT_FALSE(n->Contains(Ip("127.0.0.2")));

  for (const char* bad : {"", "10.0.0.0/33", "10.0.0/8", "::1/129",
                          "example.com/8", "10.0.0.0/", "10.0.0.0/x"}) {
    EXPECT_EQ(ParseCidr(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(AddressGuardTest, AllowListLiftsTheGuard) {
  absl::StatusOr<AddressGuard> guard =
      AddressGuard::Create(false, {"127.0.0.0/8", "fd00::/8"});
  ASSERT_TRUE(guard.ok()) << guard.status();
  EXPECT_TRUE(guard->Allows(Ip("127.0.0.1")));
  EXPECT_TRUE(guard->Allows(Ip("::ffff:127.0.0.1")));
  EXPECT_TRUE(guard->Allows(Ip("fd00::5")));
  EXPECT_TRUE(guard->Allows(Ip("8.8.8.8")));
  EXPECT_FALSE(guard->Allows(Ip("10.0.0.1")));
  EXPECT_FALSE(guard->Allows(Ip("::1")));

  absl::StatusOr<AddressGuard> open = AddressGuard::Create(true, {});
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->Allows(Ip("10.0.0.1")));

  EXPECT_EQ(AddressGuard::Create(false, {"nonsense"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AddressGuardTest, RefusalOfSocketAddresses) {
  absl::StatusOr<AddressGuard> guard = AddressGuard::Create(false, {});
  ASSERT_TRUE(guard.ok());
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr), 1);
  EXPECT_EQ(guard->Refusal(reinterpret_cast<sockaddr*>(&v4)), "127.0.0.1");
  ASSERT_EQ(inet_pton(AF_INET, "8.8.8.8", &v4.sin_addr), 1);
  EXPECT_EQ(guard->Refusal(reinterpret_cast<sockaddr*>(&v4)), "");
  sockaddr unix_address{};
  unix_address.sa_family = AF_UNIX;
  EXPECT_EQ(guard->Refusal(&unix_address), "non-IP address");
}

TEST(AddressGuardTest, FormatIp) {
  EXPECT_EQ(FormatIp(Ip("127.0.0.1")), "127.0.0.1");
  EXPECT_EQ(FormatIp(Ip("fe80::1")), "fe80::1");
}

TEST(AddressGuardTest, HostsAreJudgedByAddressAndByTheFormOfTheirName) {
  absl::StatusOr<AddressGuard> guard = AddressGuard::Create(false, {});
  ASSERT_TRUE(guard.ok());
  for (const char* host :
       {"127.0.0.1", "[::1]", "10.0.0.1", "169.254.169.254", "[fe80::1]",
        "localhost", "LOCALHOST.", "foo.localhost", "nas.local",
        "metadata.google.internal", "router.home.arpa", "box.lan",
        "intranet"}) {
    EXPECT_FALSE(guard->AllowsHost(host)) << host;
  }
  for (const char* host : {"example.com", "news.example.co.uk.", "8.8.8.8",
                           "[2001:4860:4860::8888]"}) {
    EXPECT_TRUE(guard->AllowsHost(host)) << host;
  }
  absl::StatusOr<AddressGuard> open = AddressGuard::Create(true, {});
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->AllowsHost("localhost"));
  absl::StatusOr<AddressGuard> some =
      AddressGuard::Create(false, {"10.0.0.0/8"});
  ASSERT_TRUE(some.ok());
  EXPECT_TRUE(some->AllowsHost("10.1.2.3"));
  EXPECT_FALSE(some->AllowsHost("intranet"));
}

}  // namespace
}  // namespace newsfeed::ingest::internal
