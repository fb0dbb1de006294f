# Install rules and the Debian package (cpack -G DEB in the build directory,
# or scripts/package.sh). The layout:
#
#   /usr/bin/faultline                       the controller
#   /usr/bin/faultline-agent                 the per-node agent (clusters)
#   /usr/lib/faultline/                      the reference system's programs and
#                                            the recipes' scripts, found by bare
#                                            name from a service's command
#   /usr/share/faultline/experiments/        the example experiments
#   /usr/share/faultline/clients/            the example exec clients they run
#   /usr/share/faultline/schema/             experiment.schema.json, for editors
#   /usr/share/doc/faultline/                README, docs/*.md, copyright
#   /usr/share/doc/faultline/examples/       the CI recipes (packaging/ci/)
#   /usr/share/man/man1/faultline.1.gz
include(GNUInstallDirs)

install(TARGETS faultline RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The per-node agent (docs/architecture.md, "The agent").
install(TARGETS faultline-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS faultline-kv faultline-router RUNTIME DESTINATION ${CMAKE_INSTALL_LIBDIR}/faultline)
install(PROGRAMS
  ${PROJECT_SOURCE_DIR}/targets/kvstore/faultline-postgres
  ${PROJECT_SOURCE_DIR}/targets/redis/faultline-redis
  ${PROJECT_SOURCE_DIR}/targets/postgres-replication/faultline-pg-server
  ${PROJECT_SOURCE_DIR}/targets/postgres-replication/faultline-pg-primary
  ${PROJECT_SOURCE_DIR}/targets/postgres-replication/faultline-pg-standby
  ${PROJECT_SOURCE_DIR}/targets/postgres-replication/faultline-pg-promote
  ${PROJECT_SOURCE_DIR}/targets/postgres-replication/faultline-pg-health
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/faultline)
# Sourced by the scripts, never run: not executable.
install(FILES ${PROJECT_SOURCE_DIR}/targets/postgres-replication/faultline-pg-common.sh
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/faultline)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/experiments/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/faultline/experiments FILES_MATCHING PATTERN "*.toml")
install(PROGRAMS ${PROJECT_SOURCE_DIR}/clients/redis_register.py
  ${PROJECT_SOURCE_DIR}/clients/redis_register.js ${PROJECT_SOURCE_DIR}/clients/redis_list_append.py
  DESTINATION ${CMAKE_INSTALL_DATADIR}/faultline/clients)
file(GLOB faultline_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${faultline_docs} ${PROJECT_SOURCE_DIR}/packaging/copyright
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
# docs/ci.md's recipes, to copy into a repository.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/ci/github-actions.yml ${PROJECT_SOURCE_DIR}/packaging/ci/gitlab-ci.yml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Debian wants the man page and the changelog compressed (gzip -9n: no name,
# no time stamp, so the package is reproducible); a native package's
# changelog is changelog.gz.
find_program(GZIP gzip REQUIRED)
set(man_gz ${PROJECT_BINARY_DIR}/packaging/faultline.1.gz)
set(agent_man_gz ${PROJECT_BINARY_DIR}/packaging/faultline-agent.1.gz)
set(changelog_gz ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.Debian.in
  ${PROJECT_BINARY_DIR}/packaging/changelog.Debian @ONLY)
add_custom_command(OUTPUT ${man_gz} ${agent_man_gz} ${changelog_gz}
  COMMAND ${GZIP} -9nc ${PROJECT_SOURCE_DIR}/packaging/faultline.1 > ${man_gz}
  COMMAND ${GZIP} -9nc ${PROJECT_SOURCE_DIR}/packaging/faultline-agent.1 > ${agent_man_gz}
  COMMAND ${GZIP} -9nc ${PROJECT_BINARY_DIR}/packaging/changelog.Debian > ${changelog_gz}
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/faultline.1 ${PROJECT_SOURCE_DIR}/packaging/faultline-agent.1
          ${PROJECT_BINARY_DIR}/packaging/changelog.Debian
  VERBATIM)
add_custom_target(faultline_package_files ALL DEPENDS ${man_gz} ${agent_man_gz} ${changelog_gz})
install(FILES ${man_gz} ${agent_man_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The experiment files' JSON Schema, for editors: what `faultline schema` prints.
set(schema_json ${PROJECT_BINARY_DIR}/packaging/experiment.schema.json)
add_custom_command(OUTPUT ${schema_json}
  COMMAND $<TARGET_FILE:faultline> schema > ${schema_json}
  DEPENDS faultline VERBATIM)
add_custom_target(faultline_schema_file ALL DEPENDS ${schema_json})
add_dependencies(faultline_package_files faultline_schema_file)
install(FILES ${schema_json} DESTINATION ${CMAKE_INSTALL_DATADIR}/faultline/schema)
install(FILES ${changelog_gz} DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME faultline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "faultline maintainers <faultline@example.org>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # faultline_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/faultline/faultline")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "chaos experiments for multi-region, active-active systems")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "faultline builds regions out of Linux network namespaces (or uses a
docker-compose stack's containers), runs the system under test in them,
injects faults through netlink (partitions, latency, loss, bandwidth, a slow
database, killed or paused services, skewed clocks), drives a workload that
records a Jepsen-style history, and checks invariants from lost writes and
convergence to linearizability and transactional isolation. A run ends with
a verdict (terminal, JSON, JUnit, HTML) and an exit code a CI job can gate a
release on.")
# Depends come from the libraries the binaries link (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The reference system and the recipes run PostgreSQL servers, the clock-skew
# fault uses libfaketime, pg-health is Python; the compose provider talks to
# Docker; the recipes run Redis and etcd.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql-15, libfaketime, python3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker.io, docker-compose, redis-server, etcd-server, nodejs")
include(CPack)
