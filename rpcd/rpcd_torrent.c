/*
 * rpcd_torrent.c -- torrent-get's fields, from what btctl sees.
 *
 * Every field of rpc-version 17 is known here, in its legacy name; the
 * request's names are compared in snake_case form, so that "hashString"
 * and rpc-version 18's "hash_string" are the same field.  A field asked
 * for is answered under the name it was asked by.  Three kinds:
 *
 *   answered   from the TorrentSummary of `list`, the TorrentDetail of
 *              `show` (files, priorities, limits, trackers) or the
 *              TrackersReport of `trackers`
 *   omitted    known to Transmission but not kept by btd (startDate,
 *              peers, queuePosition ...): left out of the object,
 *              which is how Transmission answers a field it has no
 *              value for; a client shows nothing for it
 *   unknown    not a field of the spec: the request fails
 *
 * Mapping of btd's states to Transmission's status: paused and error
 * 0 (stopped), queued 1 (waiting to check), checking 2, fetching
 * metadata and downloading 4, seeding and finished 6.  Labels, seconds
 * downloading and seeding, activityDate and the seed limits are btd's
 * own (btctl label, set-torrent seed-*): seedRatioMode and seedIdleMode
 * 0 global, 1 the torrent's own, 2 unlimited, with the torrent's own
 * seedRatioLimit and seedIdleLimit (minutes), as Transmission gives
 * them; isFinished is true once btd stopped the torrent at its limit.
 * totalSize is 0 until a magnet's metadata arrives.  A file's
 * bytesCompleted is its
 * length once the torrent has nothing left to download, and otherwise
 * its share of the verified fraction: btd does not report progress
 * per file.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ctl.pb-c.h"

#include "rpcd.h"

/* "hashString", "hash-string" and "hash_string" alike: "hash_string". */
void
snake_name(const char *in, char *out, size_t outlen)
{
	size_t	 o = 0;

	for (; *in != '\0' && o + 2 < outlen; in++) {
		if (*in == '-')
			out[o++] = '_';
		else if (isupper((unsigned char)*in)) {
			if (o > 0 && out[o - 1] != '_')
				out[o++] = '_';
			out[o++] = (char)tolower((unsigned char)*in);
		} else
			out[o++] = *in;
	}
	out[o] = '\0';
}

enum need { N_LIST, N_SHOW, N_TRACKERS, N_OMIT };

static const struct field {
	const char	*name;		/* legacy */
	enum need	 need;
} fields[] = {
	{ "activityDate", N_LIST }, { "addedDate", N_LIST },
	{ "availability", N_OMIT }, { "bandwidthPriority", N_LIST },
	{ "comment", N_SHOW }, { "corruptEver", N_LIST },
	{ "creator", N_SHOW }, { "dateCreated", N_SHOW },
	{ "desiredAvailable", N_OMIT }, { "doneDate", N_LIST },
	{ "downloadDir", N_LIST }, { "downloadedEver", N_LIST },
	{ "downloadLimit", N_SHOW }, { "downloadLimited", N_SHOW },
	{ "editDate", N_OMIT }, { "error", N_LIST },
	{ "errorString", N_LIST }, { "eta", N_LIST }, { "etaIdle", N_OMIT },
	{ "file-count", N_SHOW }, { "files", N_SHOW },
	{ "fileStats", N_SHOW }, { "group", N_OMIT },
	{ "hashString", N_LIST }, { "haveUnchecked", N_LIST },
	{ "haveValid", N_LIST }, { "honorsSessionLimits", N_LIST },
	{ "id", N_LIST }, { "isFinished", N_LIST }, { "isPrivate", N_SHOW },
	{ "isStalled", N_OMIT }, { "labels", N_LIST },
	{ "leftUntilDone", N_LIST }, { "magnetLink", N_LIST },
	{ "manualAnnounceTime", N_OMIT }, { "maxConnectedPeers", N_OMIT },
	{ "metadataPercentComplete", N_LIST }, { "name", N_LIST },
	{ "peer-limit", N_SHOW }, { "peers", N_OMIT },
	{ "peersConnected", N_LIST }, { "peersFrom", N_OMIT },
	{ "peersGettingFromUs", N_OMIT }, { "peersSendingToUs", N_OMIT },
	{ "percentComplete", N_LIST }, { "percentDone", N_SHOW },
	{ "pieces", N_OMIT }, { "pieceCount", N_SHOW },
	{ "pieceSize", N_SHOW }, { "priorities", N_SHOW },
	{ "primary-mime-type", N_OMIT }, { "queuePosition", N_OMIT },
	{ "rateDownload", N_LIST }, { "rateUpload", N_LIST },
	{ "recheckProgress", N_LIST }, { "secondsDownloading", N_LIST },
	{ "secondsSeeding", N_LIST }, { "seedIdleLimit", N_LIST },
	{ "seedIdleMode", N_LIST }, { "seedRatioLimit", N_LIST },
	{ "seedRatioMode", N_LIST }, { "sequentialDownload", N_SHOW },
	{ "sizeWhenDone", N_SHOW }, { "startDate", N_OMIT },
	{ "status", N_LIST }, { "torrentFile", N_OMIT },
	{ "totalSize", N_LIST }, { "trackerList", N_SHOW },
	{ "trackers", N_SHOW }, { "trackerStats", N_TRACKERS },
	{ "uploadedEver", N_LIST }, { "uploadLimit", N_SHOW },
	{ "uploadLimited", N_SHOW }, { "uploadRatio", N_LIST },
	{ "wanted", N_SHOW }, { "webseeds", N_SHOW },
	{ "webseedsSendingToUs", N_OMIT },
};

#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static const struct field *
field_find(const char *name)
{
	char	 a[64], b[64];
	size_t	 i;

	snake_name(name, a, sizeof(a));
	for (i = 0; i < NFIELDS; i++) {
		snake_name(fields[i].name, b, sizeof(b));
		if (strcmp(a, b) == 0)
			return &fields[i];
	}
	return NULL;
}

int
torrent_fields_valid(struct json_object *f, const char **bad)
{
	size_t	 i, n;

	*bad = NULL;
	if (f == NULL || !json_object_is_type(f, json_type_array))
		return -1;
	n = json_object_array_length(f);
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(f, i);

		if (!json_object_is_type(o, json_type_string)) {
			*bad = "(not a string)";
			return -1;
		}
		if (field_find(json_object_get_string(o)) == NULL) {
			*bad = json_object_get_string(o);
			return -1;
		}
	}
	return 0;
}

int
torrent_fields_need(struct json_object *f, int *detail, int *trackers)
{
	const struct field	*d;
	size_t			 i, n = json_object_array_length(f);

	*detail = *trackers = 0;
	for (i = 0; i < n; i++) {
		d = field_find(json_object_get_string(
		    json_object_array_get_idx(f, i)));
		if (d != NULL && d->need == N_SHOW)
			*detail = 1;
		if (d != NULL && d->need == N_TRACKERS)
			*detail = *trackers = 1;
	}
	return 0;
}

static int
status_of(const char *state)
{
	if (strcmp(state, "queued") == 0)
		return 1;
	if (strcmp(state, "checking") == 0)
		return 2;
	if (strcmp(state, "downloading") == 0 ||
	    strcmp(state, "fetching metadata") == 0)
		return 4;
	if (strcmp(state, "seeding") == 0 || strcmp(state, "finished") == 0)
		return 6;
	return 0;	/* paused, error */
}

/* Bytes of the wanted files (priority not skip). */
static uint64_t
size_when_done(const Btd__TorrentDetail *d)
{
	uint64_t	 n = 0;
	size_t		 i;

	for (i = 0; i < d->n_files; i++)
		if (i >= d->n_file_priority || d->file_priority[i] != 0)
			n += d->files[i]->length;
	return n;
}

static struct json_object *
i64(int64_t v)
{
	return json_object_new_int64(v);
}

/* The percent-encoding of a magnet's dn (RFC 3986 unreserved kept). */
static void
magnet_link(const Btd__TorrentSummary *s, char *out, size_t outlen)
{
	static const char	 hexd[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 o;

	o = (size_t)snprintf(out, outlen, "magnet:?xt=urn:btih:%s&dn=", s->id);
	for (p = (const unsigned char *)s->name; *p != '\0' && o + 4 < outlen;
	    p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			out[o++] = (char)*p;
		else {
			out[o++] = '%';
			out[o++] = hexd[*p >> 4];
			out[o++] = hexd[*p & 15];
		}
	}
	out[o] = '\0';
}

static struct json_object *
files_list(const Btd__TorrentSummary *s, const Btd__TorrentDetail *d,
    int stats)
{
	struct json_object	*a = json_object_new_array(), *f;
	char			 name[8192];
	uint64_t		 done;
	size_t			 i;
	uint32_t		 prio;

	for (i = 0; i < d->n_files && a != NULL; i++) {
		const Btd__FileDesc *fd = d->files[i];

		prio = i < d->n_file_priority ? d->file_priority[i] : 2;
		done = s->left == 0 && prio != 0 ? fd->length :
		    (uint64_t)((double)fd->length * s->progress);
		if (done > fd->length)
			done = fd->length;
		f = json_object_new_object();
		json_object_object_add(f, "bytesCompleted", i64((int64_t)done));
		if (stats) {
			json_object_object_add(f, "wanted",
			    json_object_new_boolean(prio != 0));
			json_object_object_add(f, "priority", i64(prio == 1 ?
			    -1 : prio == 3 ? 1 : 0));
		} else {
			json_object_object_add(f, "length",
			    i64((int64_t)fd->length));
			if (d->multi)
				snprintf(name, sizeof(name), "%s/%s", s->name,
				    fd->path);
			else
				snprintf(name, sizeof(name), "%s", fd->path);
			json_object_object_add(f, "name",
			    json_object_new_string(name));
		}
		json_object_array_add(a, f);
	}
	return a;
}

/* The host of an announce URL, for sitename and host. */
static void
url_host(const char *url, char *out, size_t outlen, int with_port)
{
	const char	*p = strstr(url, "://"), *e;
	size_t		 n;

	p = p != NULL ? p + 3 : url;
	e = p + strcspn(p, with_port ? "/?#" : ":/?#");
	n = (size_t)(e - p);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static struct json_object *
tracker_stats(const Btd__TrackersReport *r)
{
	struct json_object	*a = json_object_new_array(), *o;
	char			 host[512];
	size_t			 i;

	for (i = 0; r != NULL && i < r->n_trackers; i++) {
		const Btd__TrackerStatus *t = r->trackers[i];
		int ok = strcmp(t->status, "working") == 0;
		int active = strcmp(t->status, "announcing") == 0;

		o = json_object_new_object();
		url_host(t->url, host, sizeof(host), 1);
		json_object_object_add(o, "announce",
		    json_object_new_string(t->url));
		json_object_object_add(o, "host", json_object_new_string(host));
		json_object_object_add(o, "id", i64((int64_t)i));
		json_object_object_add(o, "tier", i64(t->tier));
		json_object_object_add(o, "isBackup",
		    json_object_new_boolean(0));
		json_object_object_add(o, "announceState", i64(active ? 3 :
		    strcmp(t->status, "stopped") == 0 ? 0 : 1));
		json_object_object_add(o, "hasAnnounced",
		    json_object_new_boolean(t->last_announce != 0));
		json_object_object_add(o, "lastAnnounceTime",
		    i64(t->last_announce));
		json_object_object_add(o, "lastAnnounceSucceeded",
		    json_object_new_boolean(ok));
		json_object_object_add(o, "lastAnnounceResult",
		    json_object_new_string(ok ? "Success" : t->last_error));
		json_object_object_add(o, "lastAnnounceTimedOut",
		    json_object_new_boolean(0));
		json_object_object_add(o, "nextAnnounceTime",
		    i64(t->next_announce));
		json_object_object_add(o, "seederCount", i64(t->seeders));
		json_object_object_add(o, "leecherCount", i64(t->leechers));
		json_object_object_add(o, "downloadCount", i64(t->completed));
		json_object_object_add(o, "hasScraped",
		    json_object_new_boolean(t->last_scrape != 0));
		json_object_object_add(o, "lastScrapeTime",
		    i64(t->last_scrape));
		json_object_object_add(o, "scrapeState", i64(0));
		json_object_object_add(o, "scrape", json_object_new_string(""));
		url_host(t->url, host, sizeof(host), 0);
		json_object_object_add(o, "sitename",
		    json_object_new_string(host));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *
trackers_list(const Btd__TorrentDetail *d, int as_text)
{
	struct json_object	*a = json_object_new_array(), *o;
	char			*text = NULL, host[512];
	size_t			 i, len = 0;

	for (i = 0; i < d->n_trackers; i++) {
		const Btd__TrackerDesc *t = d->trackers[i];

		if (as_text) {
			size_t add = strlen(t->url) + 3;
			char *n = realloc(text, len + add);

			if (n == NULL)
				break;
			text = n;
			len += (size_t)snprintf(text + len, add, "%s%s\n",
			    i > 0 && d->trackers[i - 1]->tier != t->tier ?
			    "\n" : "", t->url);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "announce",
		    json_object_new_string(t->url));
		json_object_object_add(o, "id", i64((int64_t)i));
		json_object_object_add(o, "scrape", json_object_new_string(""));
		json_object_object_add(o, "tier", i64(t->tier));
		url_host(t->url, host, sizeof(host), 0);
		json_object_object_add(o, "sitename",
		    json_object_new_string(host));
		json_object_array_add(a, o);
	}
	if (as_text) {
		json_object_put(a);
		a = json_object_new_string(text != NULL ? text : "");
		free(text);
	}
	return a;
}

struct json_object *
torrent_object(struct json_object *f, uint32_t number,
    const Btd__TorrentSummary *s, const Btd__TorrentDetail *d,
    const Btd__TrackersReport *r)
{
	struct json_object	*o = json_object_new_object(), *v, *a;
	const struct field	*fd;
	const Btd__TorrentLimits *lim = d != NULL ? d->limits : NULL;
	char			 sn[64], mag[4096];
	uint64_t		 swd = d != NULL ? size_when_done(d) :
				    s->total_size, left = s->left;
	size_t			 i, n = json_object_array_length(f), k;

	if (left > swd)
		left = swd;
	for (i = 0; i < n && o != NULL; i++) {
		const char *name = json_object_get_string(
		    json_object_array_get_idx(f, i));

		if ((fd = field_find(name)) == NULL || fd->need == N_OMIT)
			continue;
		snake_name(fd->name, sn, sizeof(sn));
		v = NULL;
#define IS(x)	(strcmp(sn, (x)) == 0)
		if (IS("id"))
			v = i64(number);
		else if (IS("hash_string"))
			v = json_object_new_string(s->id);
		else if (IS("name"))
			v = json_object_new_string(s->name);
		else if (IS("status"))
			v = i64(status_of(s->state));
		else if (IS("error"))
			v = i64(strcmp(s->state, "error") == 0 ? 3 : 0);
		else if (IS("error_string"))
			v = json_object_new_string(s->error);
		else if (IS("percent_done"))
			v = json_object_new_double(swd > 0 ?
			    (double)(swd - left) / (double)swd :
			    s->has_metadata ? 1.0 : 0.0);
		else if (IS("percent_complete"))
			v = json_object_new_double(s->progress);
		else if (IS("total_size"))
			v = i64((int64_t)s->total_size);
		else if (IS("size_when_done"))
			v = i64((int64_t)swd);
		else if (IS("left_until_done"))
			v = i64((int64_t)left);
		else if (IS("have_valid"))
			v = i64((int64_t)((double)s->total_size * s->progress));
		else if (IS("have_unchecked"))
			v = i64(0);
		else if (IS("rate_download"))
			v = i64((int64_t)s->rate_down);
		else if (IS("rate_upload"))
			v = i64((int64_t)s->rate_up);
		else if (IS("upload_ratio"))
			v = json_object_new_double(s->ratio < 0 ? -1 :
			    s->ratio);
		else if (IS("eta"))
			v = i64(s->eta < 0 ? -1 : s->eta);
		else if (IS("download_dir"))
			v = json_object_new_string(s->save_path);
		else if (IS("is_finished"))
			v = json_object_new_boolean(s->finished);
		else if (IS("labels")) {
			v = a = json_object_new_array();
			for (k = 0; k < s->n_labels && a != NULL; k++)
				json_object_array_add(a,
				    json_object_new_string(s->labels[k]));
		} else if (IS("seconds_downloading"))
			v = i64((int64_t)s->seconds_downloading);
		else if (IS("seconds_seeding"))
			v = i64((int64_t)s->seconds_seeding);
		else if (IS("activity_date"))
			v = i64(s->activity);
		else if (IS("uploaded_ever"))
			v = i64((int64_t)s->uploaded);
		else if (IS("downloaded_ever"))
			v = i64((int64_t)s->downloaded);
		else if (IS("corrupt_ever"))
			v = i64((int64_t)s->wasted);
		else if (IS("peers_connected"))
			v = i64(s->peers);
		else if (IS("added_date"))
			v = i64(s->added);
		else if (IS("done_date"))
			v = i64(s->completed);
		else if (IS("bandwidth_priority"))
			v = i64(0);
		else if (IS("honors_session_limits"))
			v = json_object_new_boolean(1);
		else if (IS("magnet_link")) {
			magnet_link(s, mag, sizeof(mag));
			v = json_object_new_string(mag);
		} else if (IS("metadata_percent_complete"))
			v = json_object_new_double(s->has_metadata ? 1.0 : 0.0);
		else if (IS("recheck_progress"))
			v = json_object_new_double(s->checked);
		else if (IS("seed_ratio_mode"))
			v = i64(s->seed != NULL ? s->seed->ratio_mode : 0);
		else if (IS("seed_idle_mode"))
			v = i64(s->seed != NULL ? s->seed->idle_mode : 0);
		else if (IS("seed_ratio_limit"))
			v = json_object_new_double(s->seed != NULL ?
			    s->seed->ratio_limit : 0.0);
		else if (IS("seed_idle_limit"))
			v = i64(s->seed != NULL ? s->seed->idle_limit : 0);
		else if (d == NULL)
			continue;
		else if (IS("comment"))
			v = json_object_new_string(d->comment);
		else if (IS("creator"))
			v = json_object_new_string(d->created_by);
		else if (IS("date_created"))
			v = i64(d->creation_date);
		else if (IS("is_private"))
			v = json_object_new_boolean(d->private_);
		else if (IS("piece_count"))
			v = i64(d->piece_count);
		else if (IS("piece_size"))
			v = i64((int64_t)d->piece_length);
		else if (IS("file_count"))
			v = i64((int64_t)d->n_files);
		else if (IS("files"))
			v = files_list(s, d, 0);
		else if (IS("file_stats"))
			v = files_list(s, d, 1);
		else if (IS("priorities") || IS("wanted")) {
			v = a = json_object_new_array();
			for (k = 0; k < d->n_files && a != NULL; k++) {
				uint32_t p = k < d->n_file_priority ?
				    d->file_priority[k] : 2;

				json_object_array_add(a, IS("wanted") ?
				    i64(p != 0) : i64(p == 1 ? -1 :
				    p == 3 ? 1 : 0));
			}
		} else if (IS("download_limit"))
			v = i64(lim != NULL ? (int64_t)lim->download_limit : 0);
		else if (IS("download_limited"))
			v = json_object_new_boolean(lim != NULL &&
			    lim->download_limit != 0);
		else if (IS("upload_limit"))
			v = i64(lim != NULL ? (int64_t)lim->upload_limit : 0);
		else if (IS("upload_limited"))
			v = json_object_new_boolean(lim != NULL &&
			    lim->upload_limit != 0);
		else if (IS("peer_limit"))
			v = i64(lim != NULL ? lim->peer_limit : 0);
		else if (IS("sequential_download"))
			v = json_object_new_boolean(lim != NULL &&
			    lim->sequential);
		else if (IS("webseeds")) {
			v = a = json_object_new_array();
			for (k = 0; k < d->n_url_list && a != NULL; k++)
				json_object_array_add(a,
				    json_object_new_string(d->url_list[k]));
		} else if (IS("trackers"))
			v = trackers_list(d, 0);
		else if (IS("tracker_list"))
			v = trackers_list(d, 1);
		else if (IS("tracker_stats"))
			v = tracker_stats(r);
#undef IS
		if (v != NULL)
			json_object_object_add(o, name, v);
	}
	return o;
}

/*
 * The fields Transmission's web interface asks for at every refresh
 * and that the table above omits, answered by torrent_web_fields() on
 * top of torrent_object():
 *
 *   peers, peersSendingToUs, peersGettingFromUs
 *                  from the torrent's PeersReport (`btctl peers`),
 *                  asked for only when the summary counts peers: a
 *                  peer sends to us (isDownloadingFrom) while its rate
 *                  to us is above 0, and gets from us likewise; choke
 *                  and interest come from peerd's flags
 *   isStalled      false: btd has no stall rule (session-get says
 *                  queue-stalled-enabled false, under which Transmission
 *                  says false too)
 *   queuePosition  0: btd has no queue and starts every torrent at once
 *   webseedsSendingToUs
 *                  0: btd does not download from web seeds
 *   desiredAvailable
 *                  leftUntilDone while a seed is connected, else 0: btd
 *                  does not keep the union of its peers' pieces, so
 *                  without a seed this is a lower bound
 */
static const char *const web_fields[] = {
	"peers", "peers_sending_to_us", "peers_getting_from_us",
	"is_stalled", "queue_position", "webseeds_sending_to_us",
	"desired_available",
};

#define NWEB	(sizeof(web_fields) / sizeof(web_fields[0]))

int
torrent_fields_peers(struct json_object *f)
{
	char	 sn[64];
	size_t	 i, n = json_object_array_length(f);

	for (i = 0; i < n; i++) {
		snake_name(json_object_get_string(json_object_array_get_idx(f,
		    i)), sn, sizeof(sn));
		if (strncmp(sn, "peers", 5) == 0 && (sn[5] == '\0' ||
		    strcmp(sn, "peers_sending_to_us") == 0 ||
		    strcmp(sn, "peers_getting_from_us") == 0))
			return 1;
	}
	return 0;
}

/* Transmission's flag letters for a peer, from peerd's flags. */
static void
peer_flags(const Btd__PeerInfo *p, char *out, size_t outlen)
{
	int	 we_choked = strchr(p->flags, 'C') != NULL;
	int	 we_want = strchr(p->flags, 'i') != NULL;
	int	 it_choked = strchr(p->flags, 'c') != NULL;
	int	 it_wants = strchr(p->flags, 'n') != NULL;
	size_t	 o = 0;

	if (outlen < 8)
		return;
	if (strchr(p->flags, 'o') != NULL)
		out[o++] = 'O';
	if (p->rate_down > 0)
		out[o++] = 'D';
	else if (we_want && we_choked)
		out[o++] = 'd';
	if (p->rate_up > 0)
		out[o++] = 'U';
	else if (it_wants && it_choked)
		out[o++] = 'u';
	if (!we_choked && !we_want)
		out[o++] = 'K';
	if (!it_choked && !it_wants)
		out[o++] = '?';
	if (strcmp(p->source, "pex") == 0)
		out[o++] = 'X';
	if (strchr(p->flags, 'I') != NULL)
		out[o++] = 'I';
	out[o] = '\0';
}

static struct json_object *
peer_object(const Btd__PeerInfo *p)
{
	struct json_object	*o = json_object_new_object();
	char			 fl[16];

	peer_flags(p, fl, sizeof(fl));
#define B(k, v)	json_object_object_add(o, (k), \
	    json_object_new_boolean(v))
	json_object_object_add(o, "address", json_object_new_string(p->addr));
	json_object_object_add(o, "port", i64(p->port));
	json_object_object_add(o, "clientName",
	    json_object_new_string(p->client));
	B("clientIsChoked", strchr(p->flags, 'C') != NULL);
	B("clientIsInterested", strchr(p->flags, 'i') != NULL);
	B("peerIsChoked", strchr(p->flags, 'c') != NULL);
	B("peerIsInterested", strchr(p->flags, 'n') != NULL);
	B("isIncoming", strchr(p->flags, 'I') != NULL);
	B("isDownloadingFrom", p->rate_down > 0);
	B("isUploadingTo", p->rate_up > 0);
	B("isEncrypted", 0);	/* btd speaks plain BitTorrent */
	B("isUTP", 0);		/* ... over TCP */
#undef B
	json_object_object_add(o, "flagStr", json_object_new_string(fl));
	json_object_object_add(o, "progress",
	    json_object_new_double(p->progress));
	json_object_object_add(o, "rateToClient", i64((int64_t)p->rate_down));
	json_object_object_add(o, "rateToPeer", i64((int64_t)p->rate_up));
	return o;
}

void
torrent_web_fields(struct json_object *o, struct json_object *f,
    const Btd__TorrentSummary *s, const Btd__PeersReport *pr)
{
	struct json_object	*v, *a;
	char			 sn[64];
	size_t			 i, k, n = json_object_array_length(f), np;
	int64_t			 cnt;

	np = pr != NULL ? pr->n_peers : 0;
	for (i = 0; i < n && o != NULL; i++) {
		const char *name = json_object_get_string(
		    json_object_array_get_idx(f, i));

		snake_name(name, sn, sizeof(sn));
		for (k = 0; k < NWEB; k++)
			if (strcmp(sn, web_fields[k]) == 0)
				break;
		if (k == NWEB)
			continue;
		v = NULL;
		if (strcmp(sn, "peers") == 0) {
			v = a = json_object_new_array();
			for (k = 0; k < np && a != NULL; k++)
				json_object_array_add(a,
				    peer_object(pr->peers[k]));
		} else if (strcmp(sn, "peers_sending_to_us") == 0 ||
		    strcmp(sn, "peers_getting_from_us") == 0) {
			for (k = 0, cnt = 0; k < np; k++)
				if (sn[6] == 's' ? pr->peers[k]->rate_down > 0 :
				    pr->peers[k]->rate_up > 0)
					cnt++;
			v = i64(cnt);
		} else if (strcmp(sn, "is_stalled") == 0)
			v = json_object_new_boolean(0);
		else if (strcmp(sn, "queue_position") == 0 ||
		    strcmp(sn, "webseeds_sending_to_us") == 0)
			v = i64(0);
		else if (strcmp(sn, "desired_available") == 0)
			v = i64(s->seeds > 0 ? (int64_t)s->left : 0);
		if (v != NULL)
			json_object_object_add(o, name, v);
	}
}
