# btd -- top-level build.
#
#   make            build everything into build/
#   make check      bootstrap packages, unit tests under ASan/UBSan,
#                   integration tests on real processes; ends with
#                   "N passed, N failed"
#   make demo       bootstrap, start btd, show `btctl status`, stop it
#   make install    PREFIX=/usr/local DESTDIR=
#   make fuzz       libFuzzer targets (clang), each for FUZZ_SECONDS

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/btd
MANDIR	?= $(PREFIX)/share/man
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
CFLAGS	+= -std=gnu17 -pthread $(OPT) $(WARN) $(PKG_CFLAGS)
GENCFLAGS = -std=gnu17 $(OPT) $(PKG_CFLAGS)
SAN	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined

PROTOS	:= $(wildcard proto/*.proto)
GEN_C	:= $(patsubst proto/%.proto,$(B)/gen/%.pb-c.c,$(PROTOS))
GEN_H	:= $(GEN_C:.c=.h)

LIB_SRC	:= lib/log.c lib/frame.c lib/chan.c lib/msg.c lib/role.c \
	   lib/sandbox.c lib/json.c lib/util.c lib/bencode.c lib/metainfo.c \
	   lib/magnet.c lib/utf8.c lib/arena.c
BTD_SRC	:= btd/btd.c btd/btd_proc.c btd/btd_ctl.c btd/btd_state.c btd/btd_torrent.c \
	   btd/btd_conf.c
CTL_SRC	:= ctl/btctl.c ctl/ctl_create.c
ROLES	:= trackerd peerd stored metad

obj	= $(patsubst %.c,$(B)/obj/%.o,$(1))
aobj	= $(patsubst %.c,$(B)/asan/%.o,$(1))

LIB_OBJ	:= $(call obj,$(LIB_SRC)) $(patsubst %.c,%.o,$(subst $(B)/gen,$(B)/obj/gen,$(GEN_C)))
LIB_AOBJ := $(call aobj,$(LIB_SRC)) $(patsubst %.c,%.o,$(subst $(B)/gen,$(B)/asan/gen,$(GEN_C)))

BINS	:= $(B)/bin/btd $(B)/bin/btctl $(addprefix $(B)/libexec/btd/,$(ROLES)) \
	   $(B)/tests/probe_role $(B)/tests/peerd_harness

UNIT	:= frame chan state conf json util bencode metainfo magnet \
	   announce udpcodec utf8 wire pick slots
UNIT_BINS := $(addprefix $(B)/tests/check_,$(UNIT))

.PHONY: all check unit integration demo install fuzz clean bootstrap \
	bootstrap-test gen
.SECONDARY:

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
$(B)/bin/btctl: $(call obj,$(CTL_SRC)) $(B)/lib/libbtd.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
# Each role: <role>/<role>.c and its <role>_*.c subsystems, and the
# libraries only it needs.
trackerd_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null)
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

$(B)/tests/peerd_harness: $(B)/obj/tests/support/peerd_harness.o $(B)/lib/libbtd.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# Unit tests: Check, ASan and UBSan, linked against the real sources.
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
$(B)/tests/check_state $(B)/tests/check_conf: \
	$(call aobj,btd/btd_state.c btd/btd_conf.c)
$(B)/tests/check_announce: $(call aobj,trackerd/trackerd_announce.c)
$(B)/tests/check_udpcodec: $(call aobj,trackerd/trackerd_udpcodec.c \
	trackerd/trackerd_announce.c)
$(B)/tests/check_wire: $(call aobj,peerd/peerd_wire.c)
$(B)/tests/check_pick: $(call aobj,peerd/peerd_pick.c)
$(B)/tests/check_slots: $(call aobj,peerd/peerd_block.c peerd/peerd_pick.c \
	peerd/peerd_wire.c)
$(B)/tests/check_%: $(B)/asan/tests/unit/check_%.o $(B)/lib/libbtd-asan.a
	@mkdir -p $(dir $@)
	@echo "  LD-SAN  $@"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o,$^) $(B)/lib/libbtd-asan.a \
	    $(PKG_LIBS) $(CHECK_LIBS)

bootstrap:
	@sh mk/bootstrap.sh build
bootstrap-test:
	@sh mk/bootstrap.sh test

check: bootstrap-test
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@sh tests/run.sh

unit: $(UNIT_BINS)
	@sh tests/run.sh unit

integration: all
	@sh tests/run.sh integration

demo: bootstrap
	@$(MAKE) --no-print-directory all
	@sh mk/demo.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(B)/bin/btd $(DESTDIR)$(SBINDIR)/btd
	install -m 755 $(B)/bin/btctl $(DESTDIR)$(BINDIR)/btctl
	for r in $(ROLES); do \
	    install -m 755 $(B)/libexec/btd/$$r $(DESTDIR)$(LIBEXECDIR)/$$r; \
	done
	install -m 644 docs/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 docs/*.5 $(DESTDIR)$(MANDIR)/man5/

clean:
	rm -rf $(B)

include mk/fuzz.mk
