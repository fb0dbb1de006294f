#include "controllers/agent/certs.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace faultline::agent {

namespace fs = std::filesystem;

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

std::runtime_error failure(const std::string& what) {
  char buf[256] = "no detail from OpenSSL";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  return std::runtime_error(what + ": " + buf);
}

Key new_key() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) throw failure("cannot make a P-256 key");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw failure("cannot make extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// `issuer` null: self-signed (the CA).
Cert new_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, int days,
              const std::vector<std::pair<int, std::string>>& extensions) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), long(days) * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("faultline"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  for (const auto& [nid, value] : extensions) add_extension(cert.get(), signer, nid, value);
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0)
    throw failure("cannot sign the certificate of " + cn);
  return cert;
}

template <typename Write>
void write_pem(const fs::path& path, mode_t mode, Write write) {
  const mode_t old = ::umask(0077);
  FILE* f = std::fopen(path.c_str(), "w");
  ::umask(old);
  if (!f) throw std::runtime_error(path.string() + ": cannot write it");
  const bool ok = write(f);
  std::fclose(f);
  ::chmod(path.c_str(), mode);
  if (!ok) throw failure(path.string() + ": cannot write it");
}

void write_key(const fs::path& path, EVP_PKEY* key) {
  write_pem(path, 0600, [key](FILE* f) {
    return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
}

void write_cert(const fs::path& path, X509* cert) {
  write_pem(path, 0644, [cert](FILE* f) { return PEM_write_X509(f, cert) == 1; });
}

template <typename T, typename Read>
T read_pem(const fs::path& path, Read read) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw std::runtime_error(path.string() + ": cannot read it");
  T out(read(f));
  std::fclose(f);
  if (!out) throw failure(path.string() + ": not a PEM file of the kind expected");
  return out;
}

}  // namespace

AgentName parse_agent_name(const std::string& text) {
  AgentName out;
  const auto eq = text.find('=');
  out.node = text.substr(0, eq);
  if (eq != std::string::npos) out.address = text.substr(eq + 1);
  if (out.node.empty() ||
      out.node.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos)
    throw std::invalid_argument(
        "--agent " + text +
        ": a node name of letters, digits, '.', '_' and '-' (NODE or NODE=ADDRESS)");
  if (eq != std::string::npos) {
    unsigned char buf[16];
    if (::inet_pton(AF_INET, out.address.c_str(), buf) != 1 &&
        ::inet_pton(AF_INET6, out.address.c_str(), buf) != 1)
      throw std::invalid_argument("--agent " + text + ": \"" + out.address +
                                  "\" is not an IP address (NODE=ADDRESS)");
  }
  return out;
}

std::vector<std::string> make_certificates(const std::string& dir_text,
                                           const std::vector<AgentName>& agents, int days) {
  const fs::path dir(dir_text);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir_text + ": cannot make the folder: " + ec.message());
  std::vector<std::string> written;
  Key ca_key;
  Cert ca;
  if (fs::exists(dir / "ca.pem") && fs::exists(dir / "ca-key.pem")) {
    ca = read_pem<Cert>(dir / "ca.pem",
                        [](FILE* f) { return PEM_read_X509(f, nullptr, nullptr, nullptr); });
    ca_key = read_pem<Key>(dir / "ca-key.pem", [](FILE* f) {
      return PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    });
  } else {
    ca_key = new_key();
    ca = new_cert(ca_key.get(), "faultline agents CA", nullptr, nullptr, days,
                  {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                   {NID_key_usage, "critical,keyCertSign,cRLSign"},
                   {NID_subject_key_identifier, "hash"}});
    write_key(dir / "ca-key.pem", ca_key.get());
    write_cert(dir / "ca.pem", ca.get());
    written.push_back((dir / "ca.pem").string());
    written.push_back((dir / "ca-key.pem").string());
  }
  auto leaf = [&](const std::string& stem, const std::string& cn,
                  std::vector<std::pair<int, std::string>> extensions) {
    Key key = new_key();
    extensions.insert(extensions.begin(), {{NID_basic_constraints, "critical,CA:FALSE"},
                                           {NID_key_usage, "critical,digitalSignature"},
                                           {NID_authority_key_identifier, "keyid"}});
    Cert cert = new_cert(key.get(), cn, ca.get(), ca_key.get(), days, extensions);
    write_key(dir / (stem + "-key.pem"), key.get());
    write_cert(dir / (stem + ".pem"), cert.get());
    written.push_back((dir / (stem + ".pem")).string());
    written.push_back((dir / (stem + "-key.pem")).string());
  };
  if (!fs::exists(dir / "controller.pem"))
    leaf("controller", "faultline-controller", {{NID_ext_key_usage, "clientAuth"}});
  for (const auto& a : agents) {
    std::vector<std::pair<int, std::string>> ext = {{NID_ext_key_usage, "serverAuth"}};
    if (!a.address.empty()) ext.push_back({NID_subject_alt_name, "IP:" + a.address});
    leaf("agent-" + a.node, "faultline-agent-" + a.node, ext);
  }
  return written;
}

}  // namespace faultline::agent
