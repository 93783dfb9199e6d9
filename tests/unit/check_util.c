/*
 * check_util.c -- the restart backoff schedule, role names, default
 * paths and mkdir -p.
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

START_TEST(backoff_schedule)
{
	/* Fast first, then doubling from a second, capped. */
	ck_assert_uint_eq(util_backoff_ms(0, 200, 30000), 200);
	ck_assert_uint_eq(util_backoff_ms(1, 200, 30000), 1000);
	ck_assert_uint_eq(util_backoff_ms(2, 200, 30000), 2000);
	ck_assert_uint_eq(util_backoff_ms(5, 200, 30000), 16000);
	ck_assert_uint_eq(util_backoff_ms(6, 200, 30000), 30000);
	ck_assert_uint_eq(util_backoff_ms(40, 200, 30000), 30000);
	ck_assert_uint_eq(util_backoff_ms(1000, 200, 30000), 30000);
	/* A cap below the first delay wins. */
	ck_assert_uint_eq(util_backoff_ms(0, 200, 100), 100);
	ck_assert_uint_eq(util_backoff_ms(-1, 200, 30000), 200);
}
END_TEST

START_TEST(role_names)
{
	ck_assert_str_eq(util_role_name(1), "trackerd");
	ck_assert_str_eq(util_role_name(4), "metad");
	ck_assert_ptr_null(util_role_name(0));
	ck_assert_str_eq(util_role_name(5), "rpcd");
	ck_assert_ptr_null(util_role_name(6));
	ck_assert_ptr_null(util_role_name(-1));
	ck_assert_int_eq(util_role_by_name("stored"), 3);
	ck_assert_int_eq(util_role_by_name("Stored"), 0);
	ck_assert_int_eq(util_role_by_name(""), 0);
}
END_TEST

START_TEST(default_paths)
{
	char buf[4096];

	if (geteuid() == 0) {
		ck_assert_int_eq(util_default_state_dir(buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, "/var/lib/btd");
		ck_assert_int_eq(util_default_socket(buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, "/var/lib/btd/btd.sock");
		return;
	}
	setenv("XDG_STATE_HOME", "/x/state", 1);
	ck_assert_int_eq(util_default_state_dir(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/x/state/btd");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/u", 1);
	ck_assert_int_eq(util_default_socket(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/home/u/.local/state/btd/btd.sock");
}
END_TEST

START_TEST(paths_too_long)
{
	char small[8];

	errno = 0;
	ck_assert_int_eq(util_default_socket(small, sizeof(small)), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

START_TEST(mkdirs)
{
	char		 tmpl[] = "/tmp/check_util.XXXXXX", path[256];
	struct stat	 sb;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/a/b/c", tmpl);
	ck_assert_int_eq(util_mkdirs(path, 0700), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));
	/* Again: it exists, which is fine. */
	ck_assert_int_eq(util_mkdirs(path, 0700), 0);
	/* Under a regular file: an error. */
	snprintf(path, sizeof(path), "%s/a/file", tmpl);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "%s/a/file/x", tmpl);
	errno = 0;
	ck_assert_int_eq(util_mkdirs(path, 0700), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_int_eq(util_mkdirs("", 0700), -1);
	snprintf(path, sizeof(path), "rm -rf %s", tmpl);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

START_TEST(nearest)
{
	static const char *const opts[] = { "-s", "--json", "-h", "--help",
	    "--version", NULL };
	static const char *const cmds[] = { "add", "status", "restart",
	    "shutdown", "show" };

	ck_assert_str_eq(util_nearest("--jsn", opts, 6), "--json");
	ck_assert_str_eq(util_nearest("--verison", opts, 6), "--version");
	ck_assert_str_eq(util_nearest("--hlep", opts, 6), "--help");
	ck_assert_str_eq(util_nearest("stauts", cmds, 5), "status");
	ck_assert_str_eq(util_nearest("shutdwn", cmds, 5), "shutdown");
	/* Too short to tell, or too far to be a typo. */
	ck_assert_ptr_null(util_nearest("-x", opts, 6));
	ck_assert_ptr_null(util_nearest("add", cmds, 5));
	ck_assert_ptr_null(util_nearest("--frobnicate", opts, 6));
	ck_assert_ptr_null(util_nearest("--json", opts, 0));
}
END_TEST

/* Whole huge pages, aligned to one, zeroed and writable to the end. */
START_TEST(bigmem)
{
	static const size_t	ask[] = { 1, 1 << 20, (2 << 20) + 1 };
	size_t			i, len, k;
	unsigned char		*p;

	for (i = 0; i < sizeof(ask) / sizeof(ask[0]); i++) {
		len = ask[i];
		p = util_bigmem(&len);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_ge(len, ask[i]);
		ck_assert_uint_eq(len % (2 << 20), 0);
		ck_assert_uint_eq((uintptr_t)p % (2 << 20), 0);
		for (k = 0; k < len; k += 4096)
			ck_assert_uint_eq(p[k], 0);
		p[len - 1] = 1;
		util_bigmem_free(p, len);
	}
	len = SIZE_MAX - 1;
	ck_assert_ptr_null(util_bigmem(&len));
}
END_TEST

START_TEST(runtime_pointer)
{
	char	a[4096], b[4096];

	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	ck_assert_int_eq(util_runtime_dir(a, sizeof(a)), 0);
	ck_assert_str_eq(a, "/run/user/1000/btd");
	ck_assert_int_eq(util_pointer_path("/srv/x/btd.sock", a, sizeof(a)), 0);
	ck_assert_int_eq(util_pointer_path("/srv/y/btd.sock", b, sizeof(b)), 0);
	/* One name per socket, in the runtime dir, the same every time. */
	ck_assert_int_eq(strncmp(a, "/run/user/1000/btd/", 19), 0);
	ck_assert_int_eq((int)strlen(a), 19 + 16 + 5);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(util_pointer_path("/srv/y/btd.sock", a, sizeof(a)), 0);
	ck_assert_str_eq(a, b);
	/* A relative XDG_RUNTIME_DIR is ignored. */
	setenv("XDG_RUNTIME_DIR", "run", 1);
	errno = 0;
	if (geteuid() == 0) {
		ck_assert_int_eq(util_runtime_dir(a, sizeof(a)), 0);
		ck_assert_str_eq(a, "/run/btd");
	} else {
		ck_assert_int_eq(util_runtime_dir(a, sizeof(a)), -1);
		ck_assert_int_eq(errno, ENOENT);
	}
	unsetenv("XDG_RUNTIME_DIR");
}
END_TEST

static Suite *
util_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, backoff_schedule);
	tcase_add_test(core, role_names);
	tcase_add_test(core, default_paths);
	tcase_add_test(core, mkdirs);
	tcase_add_test(core, nearest);
	tcase_add_test(core, runtime_pointer);
	tcase_add_test(core, bigmem);
	tcase_add_test(errors, paths_too_long);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(util_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
