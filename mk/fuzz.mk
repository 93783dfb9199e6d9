# fuzz.mk -- the libFuzzer targets of tests/fuzz/ (clang), included by
# the top-level Makefile, which defines B, CPPFLAGS and GEN_H.
#
#   make fuzz              build every target, run each FUZZ_SECONDS
#   make fuzz-smoke        the same, 10 seconds each
#   make fuzz FUZZERS=magnet FUZZ_SECONDS=600
#
# Each target runs on a scratch copy of tests/fuzz/corpus/<name>/, so
# fuzzing never changes the committed seeds.  All targets run even when
# one fails; the make fails if any found a crash, a leak, a timeout or
# undefined behaviour, and the input that did it is left in
# $(B)/fuzz/artifacts/ (replay: $(B)/fuzz/fuzz_<name> <file>), with the
# whole log in $(B)/fuzz/<name>.log.

FUZZERS		:= bencode metainfo magnet announce udpreply wire stored utmeta \
		   pex
FUZZ_SECONDS	?= 60
FUZZ_CC		?= clang
FUZZ_CFLAGS	:= -std=gnu17 -g -O1 -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_LIBS	= $(shell pkg-config --libs libcrypto)

# Longest input tried, per target: past the bounds that matter (a
# magnet link of MAGNET_MAX_LEN and a little more; TR_MAX_PEERS peers
# of a tracker reply; two selector bytes and a UDP_MAX_REPLY datagram;
# for the peer wire, four PIECEs of 16 KiB and more; for ut_metadata,
# a whole data message; for ut_pex, over 50 added IPv6 peers and
# their flags),
# short enough to keep many runs a second.
FUZZ_MAXLEN_bencode	:= 65536
FUZZ_MAXLEN_metainfo	:= 65536
FUZZ_MAXLEN_magnet	:= 70000
FUZZ_MAXLEN_announce	:= 65536
FUZZ_MAXLEN_udpreply	:= 65538
FUZZ_MAXLEN_wire	:= 70000
FUZZ_MAXLEN_stored	:= 65536
FUZZ_MAXLEN_utmeta	:= 17000
FUZZ_MAXLEN_pex		:= 4096

# Tokens the mutator splices in (libFuzzer -dict=), per target.
FUZZ_DICT_bencode	:= tests/fuzz/bencode.dict
FUZZ_DICT_metainfo	:= tests/fuzz/bencode.dict
FUZZ_DICT_magnet	:= tests/fuzz/magnet.dict
FUZZ_DICT_announce	:= tests/fuzz/bencode.dict
FUZZ_DICT_udpreply	:= tests/fuzz/udpreply.dict
FUZZ_DICT_wire		:= tests/fuzz/wire.dict
FUZZ_DICT_stored	:= tests/fuzz/stored.dict
FUZZ_DICT_utmeta	:= tests/fuzz/utmeta.dict
FUZZ_DICT_pex		:= tests/fuzz/pex.dict

# The library sources each target links.
FUZZ_SRC_bencode	:= lib/bencode.c lib/log.c
FUZZ_SRC_metainfo	:= lib/bencode.c lib/metainfo.c lib/log.c lib/utf8.c
FUZZ_SRC_magnet		:= lib/magnet.c lib/log.c lib/utf8.c
FUZZ_SRC_announce	:= trackerd/trackerd_announce.c lib/bencode.c lib/log.c \
			   lib/util.c
FUZZ_SRC_udpreply	:= trackerd/trackerd_udpcodec.c \
			   trackerd/trackerd_announce.c lib/bencode.c lib/log.c \
			   lib/util.c
FUZZ_SRC_wire		:= peerd/peerd_wire.c lib/bencode.c lib/log.c lib/utf8.c
FUZZ_SRC_utmeta		:= lib/utmeta.c lib/bencode.c lib/log.c
FUZZ_SRC_pex		:= lib/pex.c lib/bencode.c lib/log.c
FUZZ_SRC_stored		:= $(filter-out stored/stored.c,$(wildcard stored/*.c)) \
			   lib/log.c lib/chan.c lib/msg.c lib/frame.c \
			   lib/arena.c lib/util.c $(GEN_C)
# Libraries beyond libcrypto, per target.
FUZZ_LIBS_stored	= $(shell pkg-config --libs libevent libprotobuf-c) \
			   -pthread

FUZZ_BINS	:= $(addprefix $(B)/fuzz/fuzz_,$(FUZZERS))

.PHONY: fuzz fuzz-smoke fuzz-build

fuzz-build: $(FUZZ_BINS)

define fuzz_rule
$(B)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz.h \
    $$(FUZZ_SRC_$(1)) $$(wildcard lib/*.h) | $$(GEN_H)
	@mkdir -p $$(dir $$@)
	@echo "  FUZZ-LD $$@"
	@$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$(CPPFLAGS) -o $$@ \
	    tests/fuzz/fuzz_$(1).c $$(FUZZ_SRC_$(1)) $$(FUZZ_LIBS) \
	    $$(FUZZ_LIBS_$(1))
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

# name:max_len:dict of each target, for the shell loop below.
FUZZ_PLAN	= $(foreach f,$(FUZZERS),\
		    $(f):$(FUZZ_MAXLEN_$(f)):$(FUZZ_DICT_$(f)))

# $(1): seconds per target.
define fuzz_run
	@fail=0; \
	for fmd in $(FUZZ_PLAN); do \
	    f=$${fmd%%:*}; md=$${fmd#*:}; max=$${md%%:*}; dict=$${md#*:}; \
	    work=$$(mktemp -d) || exit 1; \
	    cp tests/fuzz/corpus/$$f/* "$$work"/ || exit 1; \
	    mkdir -p $(B)/fuzz/artifacts; \
	    echo "  FUZZ    $$f, $(1) s"; \
	    if UBSAN_OPTIONS=print_stacktrace=1 $(B)/fuzz/fuzz_$$f \
	        -max_total_time=$(1) -rss_limit_mb=2048 -max_len=$$max \
	        -timeout=10 -print_final_stats=1 -dict=$$dict \
	        -artifact_prefix=$(B)/fuzz/artifacts/$$f- \
	        "$$work" >$(B)/fuzz/$$f.log 2>&1; then \
	        grep -E '^Done [0-9]+ runs' $(B)/fuzz/$$f.log | \
	            sed "s/^/  FUZZ    $$f: /"; \
	    else \
	        tail -n 60 $(B)/fuzz/$$f.log; \
	        echo "  FUZZ    $$f FAILED: see $(B)/fuzz/$$f.log and" \
	            "$(B)/fuzz/artifacts/"; \
	        fail=1; \
	    fi; \
	    rm -rf "$$work"; \
	done; \
	exit $$fail
endef

fuzz: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-smoke: $(FUZZ_BINS)
	$(call fuzz_run,10)
