/*
 * metad.h -- metad's private header.
 */
#ifndef BTD_METAD_H
#define BTD_METAD_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "metad.pb-c.h"
#include "peer_metad.pb-c.h"
#include "torrent.pb-c.h"

struct chan;
struct event_base;
struct metainfo;

/*
 * Tunables of the metadata fetch (metad_fetch.c) and of serving it
 * (metad_serve.c).  The size of one info dictionary is bounded by
 * UTM_MAX_SIZE (lib/utmeta.h); the sums below stay well inside the
 * 1 GiB address space lib/sandbox.c gives metad, beside a 32 MiB frame
 * and a 10 MiB .torrent being parsed.
 */
#define FETCH_MAX		256	/* torrents fetching metadata at once */
#define FETCH_MAX_PEERS		60	/* offering peers kept per torrent */
#define FETCH_PEER_OUT		2	/* pieces asked of one peer at once */
#define FETCH_TIMEOUT_MS	8000	/* an unanswered ask goes elsewhere */
#define FETCH_TIMEOUTS_MAX	3	/* a peer that let this many asks
					   time out is not asked again */
#define FETCH_REJECTS_MAX	3	/* ... nor one that rejected so many */
#define FETCH_STRIKES_MAX	2	/* failed tries a peer took part in
					   before it is dropped */
#define FETCH_MEM_MAX		(64U << 20)	/* metadata being assembled,
						   all torrents */
#define SERVE_MEM_MAX		(256U << 20)	/* info dictionaries held to
						   serve, all torrents */

/* metad_parse.c */
int	metad_dispatch_btd(struct chan *, const ProtobufCMessage *);
/* The description of a ParseTorrent, pointing into mi. */
struct metad_desc {
	Btd__TorrentDesc	  t;
	Btd__FileDesc		 *fd, **fdp;
	Btd__TrackerDesc	 *td, **tdp;
	char			(*attr)[5];
};
int	metad_desc_build(const struct metainfo *, struct metad_desc *);
void	metad_desc_free(struct metad_desc *);
/*
 * Bytes of an info dictionary through every check of a .torrent: 0 and
 * *mi (metainfo_free()), or -1 with err.
 */
int	metad_info_parse(const uint8_t *info, size_t len, struct metainfo **mi,
	    char *err, size_t errlen);

/* metad_fetch.c */
void	fetch_init(struct event_base *);
int	fetch_start(const Btd__MetaFetch *);
void	fetch_forget(uint32_t torrent);
int	metad_dispatch_peerd(struct chan *, const ProtobufCMessage *);
void	fetch_peerd_down(void);

/* metad_serve.c */
int	serve_hold(const Btd__MetaHold *);
void	serve_forget(uint32_t torrent);
void	serve_want(struct chan *, const Btd__MetaWant *);

#endif
