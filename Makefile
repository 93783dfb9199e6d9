# btd -- top-level build.
#
#   make            build everything into build/
#   make check      bootstrap packages, unit tests under ASan/UBSan,
#                   integration tests on real processes; ends with
#                   "N passed, N failed"
#   make demo       bootstrap, start btd, show `btctl status`, stop it
#   make install    PREFIX=/usr/local DESTDIR=: btd in sbin, btctl in bin,
#                   the roles in libexec/btd, man pages, docs, the systemd
#                   unit, /etc/btd/btd.conf.example, the system users
#   make uninstall  the same files again (not the users, not the state)
#   make fuzz       libFuzzer targets (clang), each for FUZZ_SECONDS

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/btd
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/btd
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
VERSION	:= 0.1.0

CC	?= cc
B	:= build
PKGS	:= libevent libprotobuf-c sqlite3 libseccomp libcrypto
WARN	:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wcast-qual -Wformat=2 -Werror
OPT	?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += -I. -Ilib -isystem $(B)/gen -D_GNU_SOURCE \
	    -DBTD_VERSION='"$(VERSION)"' -DBTD_LIBEXECDIR='"$(LIBEXECDIR)"'
CFLAGS	+= -std=gnu17 -pthread $(OPT) $(WARN) $(PKG_CFLAGS) \
	   $(shell pkg-config --cflags json-c 2>/dev/null)
GENCFLAGS = -std=gnu17 $(OPT) $(PKG_CFLAGS)
SAN	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined

PROTOS	:= $(wildcard proto/*.proto)
GEN_C	:= $(patsubst proto/%.proto,$(B)/gen/%.pb-c.c,$(PROTOS))
GEN_H	:= $(GEN_C:.c=.h)

LIB_SRC	:= lib/log.c lib/frame.c lib/chan.c lib/msg.c lib/role.c \
	   lib/sandbox.c lib/json.c lib/util.c lib/bencode.c lib/metainfo.c \
	   lib/magnet.c lib/utf8.c lib/arena.c lib/netpolicy.c lib/utmeta.c \
	   lib/pex.c
BTD_SRC	:= btd/btd.c btd/btd_proc.c btd/btd_ctl.c btd/btd_state.c btd/btd_torrent.c \
	   btd/btd_conf.c btd/btd_xfer.c btd/btd_progress.c btd/btd_desc.c \
	   btd/btd_owner.c btd/btd_limits.c btd/btd_known.c btd/btd_wants.c \
	   btd/btd_rpc.c btd/btd_seed.c
CTL_SRC	:= ctl/btctl.c ctl/ctl_create.c
ROLES	:= trackerd peerd stored metad rpcd

obj	= $(patsubst %.c,$(B)/obj/%.o,$(1))
aobj	= $(patsubst %.c,$(B)/asan/%.o,$(1))

LIB_OBJ	:= $(call obj,$(LIB_SRC)) $(patsubst %.c,%.o,$(subst $(B)/gen,$(B)/obj/gen,$(GEN_C)))
LIB_AOBJ := $(call aobj,$(LIB_SRC)) $(patsubst %.c,%.o,$(subst $(B)/gen,$(B)/asan/gen,$(GEN_C)))

BINS	:= $(B)/bin/btd $(B)/bin/btctl $(addprefix $(B)/libexec/btd/,$(ROLES)) \
	   $(B)/tests/probe_role $(B)/tests/peerd_harness $(B)/tests/fake_xfer

UNIT	:= frame chan state conf json util bencode metainfo magnet \
	   announce udpcodec utf8 wire pick slots piecemap blockpath \
	   storedrole progress netpolicy choke rate utmeta fetch cands pex \
	   resume move bcache rpcd
UNIT_BINS := $(addprefix $(B)/tests/check_,$(UNIT))
# btd under AddressSanitizer, for integration tests of its own code.
ASAN_BINS := $(B)/asan/bin/btd

.PHONY: all check unit integration demo bench install uninstall fuzz clean \
	bootstrap bootstrap-test gen
.SECONDARY:

# Without the build's Debian packages, say which are missing and how to
# install them, rather than fail later on a missing protoc-c or header.
# The targets that install them first (check, demo) or need none skip it.
ifeq ($(filter clean bootstrap bootstrap-test check demo bench uninstall,$(MAKECMDGOALS)),)
DEPS_MISSING := $(shell sh mk/bootstrap.sh missing 2>&1 >/dev/null | tr '\n' ' ')
ifneq ($(strip $(DEPS_MISSING)),)
$(error $(DEPS_MISSING))
endif
endif

all: $(BINS)

gen: $(GEN_C) $(GEN_H)

$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/gen
	@echo "  PROTOC  $<"
	@protoc-c --proto_path=proto --c_out=$(B)/gen $<

# Every object may include generated headers.
$(B)/obj/%.o: %.c $(GEN_H) $(wildcard lib/*.h btd/*.h ctl/*.h */*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
$(B)/obj/gen/%.o: $(B)/gen/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(GENCFLAGS) -c -o $@ $<
$(B)/asan/%.o: %.c $(GEN_H) $(wildcard lib/*.h btd/*.h ctl/*.h */*.h)
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c -o $@ $<
$(B)/asan/gen/%.o: $(B)/gen/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(CPPFLAGS) $(GENCFLAGS) $(SAN) -c -o $@ $<

$(B)/lib/libbtd.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^
$(B)/lib/libbtd-asan.a: $(LIB_AOBJ)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(B)/bin/btd: $(call obj,$(BTD_SRC)) $(B)/lib/libbtd.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/asan/bin/btd: $(call aobj,$(BTD_SRC)) $(B)/lib/libbtd-asan.a
	@mkdir -p $(dir $@)
	@echo "  LD-SAN  $@"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)
$(B)/bin/btctl: $(call obj,$(CTL_SRC)) $(B)/lib/libbtd.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
# Each role: <role>/<role>.c and its <role>_*.c subsystems, and the
# libraries only it needs.
trackerd_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null)
rpcd_LIBS = $(shell pkg-config --libs json-c 2>/dev/null)
define role_rule
$(B)/libexec/btd/$(1): $$(call obj,$$(wildcard $(1)/*.c)) $(B)/lib/libbtd.a
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	@$$(CC) $$(CFLAGS) -o $$@ $$^ $$(PKG_LIBS) $$($(1)_LIBS)
endef
$(foreach r,$(ROLES),$(eval $(call role_rule,$(r))))
$(B)/tests/probe_role: $(B)/obj/tests/support/probe_role.o $(B)/lib/libbtd.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/fake_xfer: $(B)/obj/tests/support/fake_xfer.o $(B)/lib/libbtd.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/peerd_harness: $(B)/obj/tests/support/peerd_harness.o $(B)/lib/libbtd.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# stored's block path at full speed (not run by check): make
# $(B)/tests/bench_blockpath && $(B)/tests/bench_blockpath DIR [MiB]
$(B)/tests/bench_blockpath: $(B)/obj/tests/support/bench_blockpath.o \
	$(call obj,$(filter-out stored/stored.c,$(wildcard stored/*.c))) \
	$(B)/lib/libbtd.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# Unit tests: Check, ASan and UBSan, linked against the real sources.
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
$(B)/tests/check_state $(B)/tests/check_conf: \
	$(call aobj,btd/btd_state.c btd/btd_conf.c btd/btd_progress.c)
$(B)/tests/check_progress: $(call aobj,btd/btd_progress.c)
$(B)/tests/check_announce: $(call aobj,trackerd/trackerd_announce.c)
$(B)/tests/check_udpcodec: $(call aobj,trackerd/trackerd_udpcodec.c \
	trackerd/trackerd_announce.c)
$(B)/tests/check_cands: $(call aobj,trackerd/trackerd_cand.c)
$(B)/tests/check_wire: $(call aobj,peerd/peerd_wire.c)
$(B)/tests/check_pick: $(call aobj,peerd/peerd_pick.c)
$(B)/tests/check_choke: $(call aobj,peerd/peerd_choke.c)
$(B)/tests/check_rate: $(call aobj,peerd/peerd_rate.c)
$(B)/tests/check_piecemap: $(call aobj,stored/stored_map.c)
$(B)/tests/check_bcache: $(call aobj,stored/stored_bcache.c)
$(B)/tests/check_resume: $(call aobj,stored/stored_map.c stored/stored_resume.c)
$(B)/tests/check_blockpath $(B)/tests/check_move: \
	$(call aobj,$(filter-out stored/stored.c,$(wildcard stored/*.c)))
$(B)/tests/check_storedrole: $(B)/libexec/btd/stored
$(B)/tests/check_slots: $(call aobj,peerd/peerd_block.c peerd/peerd_pick.c \
	peerd/peerd_wire.c)
# metad's fetch without a process: its channels, clock and timer are
# stand-ins in the test (tests/unit/check_fetch.c).
$(B)/tests/check_fetch: $(call aobj,metad/metad_fetch.c metad/metad_serve.c \
	metad/metad_parse.c)
# rpcd's names, fields and auth without a process.
$(B)/tests/check_rpcd: $(call aobj,rpcd/rpcd_auth.c rpcd/rpcd_torrent.c)
CHECK_EXTRA_rpcd = $(rpcd_LIBS)
comma	:= ,
WRAP_fetch := $(addprefix -Wl$(comma)--wrap=,msg_send role_peer_chan \
	role_btd_chan chan_full util_now_ms event_new event_add)
$(B)/tests/check_%: $(B)/asan/tests/unit/check_%.o $(B)/lib/libbtd-asan.a
	@mkdir -p $(dir $@)
	@echo "  LD-SAN  $@"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o,$^) $(B)/lib/libbtd-asan.a \
	    $(PKG_LIBS) $(CHECK_LIBS) $(WRAP_$*) $(CHECK_EXTRA_$*)

bootstrap:
	@sh mk/bootstrap.sh build
bootstrap-test:
	@sh mk/bootstrap.sh test

# `make check` builds with a job a CPU unless told (make check JOBS=1).
JOBS		?= $(shell nproc 2>/dev/null || echo 2)

check: bootstrap-test
	@$(MAKE) --no-print-directory -j$(JOBS) all $(UNIT_BINS) $(ASAN_BINS)
	@JOBS=$(JOBS) sh tests/run.sh

unit: $(UNIT_BINS)
	@sh tests/run.sh unit

integration: all $(ASAN_BINS)
	@sh tests/run.sh integration

demo:
	@sh mk/bootstrap.sh demo
	@$(MAKE) --no-print-directory all
	@sh mk/demo.sh

bench: bootstrap-test
	@$(MAKE) --no-print-directory all
	@sh mk/bench.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/btd
	install -m 755 $(B)/bin/btd $(DESTDIR)$(SBINDIR)/btd
	install -m 755 $(B)/bin/btctl $(DESTDIR)$(BINDIR)/btctl
	for r in $(ROLES); do \
	    install -m 755 $(B)/libexec/btd/$$r $(DESTDIR)$(LIBEXECDIR)/$$r; \
	done
	install -m 644 docs/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 docs/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 README.md docs/ARCHITECTURE.md docs/PROTOCOL.md \
	    $(DESTDIR)$(DOCDIR)/
	sed 's|@SBINDIR@|$(SBINDIR)|g' etc/btd.service.in >$(B)/btd.service
	install -m 644 $(B)/btd.service $(DESTDIR)$(SYSTEMDUNITDIR)/btd.service
	install -m 644 etc/btd.conf $(DESTDIR)$(SYSCONFDIR)/btd/btd.conf.example
	@if [ -z "$(DESTDIR)" ]; then sh mk/users.sh; else \
	    echo "install: DESTDIR is set: no system users created;" \
	    "run mk/users.sh as root on the target"; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/btd $(DESTDIR)$(BINDIR)/btctl
	for r in $(ROLES); do rm -f $(DESTDIR)$(LIBEXECDIR)/$$r; done
	for m in docs/*.8; do rm -f $(DESTDIR)$(MANDIR)/man8/$${m#docs/}; done
	for m in docs/*.5; do rm -f $(DESTDIR)$(MANDIR)/man5/$${m#docs/}; done
	rm -f $(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/ARCHITECTURE.md \
	    $(DESTDIR)$(DOCDIR)/PROTOCOL.md
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/btd.service
	rm -f $(DESTDIR)$(SYSCONFDIR)/btd/btd.conf.example
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/btd 2>/dev/null
	@echo "uninstall: kept /etc/btd/btd.conf if any, the state in" \
	    "/var/lib/btd and the users btd, btd-trackerd, btd-peerd," \
	    "btd-metad, btd-rpcd (userdel them by hand)"

clean:
	rm -rf $(B)

include mk/fuzz.mk
