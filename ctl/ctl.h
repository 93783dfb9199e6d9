/*
 * ctl.h -- btctl's private header: the commands that live outside
 * btctl.c.  Each takes the command's own argv (argv[0] is the command
 * name), parses its own options and returns the exit status: 0 done,
 * 1 an error, 2 a usage error.  Errors are one line on stderr that
 * starts with "btctl: <command>: ".
 */
#ifndef BTD_CTL_H
#define BTD_CTL_H

#include <stdio.h>

/* create's arguments, for its usage line and for btctl help. */
#define CTL_CREATE_SYNOPSIS	"PATH [-t URL ...] [-o FILE] [-f] " \
	"[--piece-size N] [--private] [--comment TEXT] [--threads N]"

/* ctl_create.c */
int	ctl_create(int argc, char **argv);
void	ctl_create_usage(FILE *);

#endif
