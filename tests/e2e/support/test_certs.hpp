#pragma once
// Throw-away certificates made at test time with OpenSSL: a CA, a server
// certificate it signs for localhost and 127.0.0.1 (valid, or expired), and
// a second CA that signed nothing here (the "wrong CA"). PEM files in a
// directory the caller owns.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace wkit::testing {

class TestCerts {
 public:
  explicit TestCerts(const std::string& dir) : dir_(dir) {
    auto ca_key = make_key();
    auto ca = make_cert(ca_key.get(), "wkit test CA", nullptr, ca_key.get(), -3600, 86400, true);
    auto other_key = make_key();
    auto other = make_cert(other_key.get(), "wkit other CA", nullptr, other_key.get(), -3600, 86400, true);
    auto leaf_key = make_key();
    auto leaf = make_cert(leaf_key.get(), "localhost", ca.get(), ca_key.get(), -3600, 86400, false);
    auto old = make_cert(leaf_key.get(), "localhost", ca.get(), ca_key.get(), -2 * 86400, -86400, false);
    write_cert(ca_file(), ca.get());
    write_cert(other_ca_file(), other.get());
    write_cert(cert_file(), leaf.get());
    write_cert(expired_cert_file(), old.get());
    write_key(key_file(), leaf_key.get());
  }

  std::string ca_file() const { return dir_ + "/ca.pem"; }
  std::string other_ca_file() const { return dir_ + "/other-ca.pem"; }
  std::string cert_file() const { return dir_ + "/server.pem"; }          // localhost, 127.0.0.1
  std::string expired_cert_file() const { return dir_ + "/expired.pem"; }  // same key, expired yesterday
  std::string key_file() const { return dir_ + "/server.key"; }

 private:
  using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
  using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

  static Key make_key() {
    EVP_PKEY* k = EVP_EC_gen("P-256");
    if (!k) throw std::runtime_error("EVP_EC_gen failed");
    return Key(k, EVP_PKEY_free);
  }

  static void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) throw std::runtime_error("bad extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  static Cert make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, long not_before_s,
                        long not_after_s, bool is_ca) {
    static long serial = 1;
    Cert c(X509_new(), X509_free);
    X509_set_version(c.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), not_before_s);
    X509_gmtime_adj(X509_getm_notAfter(c.get()), not_after_s);
    X509_set_pubkey(c.get(), key);
    X509_NAME* name = X509_get_subject_name(c.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
    if (is_ca) {
      add_ext(c.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
      add_ext(c.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
      add_ext(c.get(), issuer, NID_basic_constraints, "CA:FALSE");
      add_ext(c.get(), issuer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
      add_ext(c.get(), issuer, NID_ext_key_usage, "serverAuth");
    }
    if (X509_sign(c.get(), issuer_key, EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");
    return c;
  }

  static void write_cert(const std::string& path, X509* cert) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f || PEM_write_X509(f, cert) != 1) throw std::runtime_error("cannot write " + path);
    std::fclose(f);
  }
  static void write_key(const std::string& path, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f || PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
      throw std::runtime_error("cannot write " + path);
    std::fclose(f);
  }

  std::string dir_;
};

}  // namespace wkit::testing
