/*
 * A hostile step for the executor e2e tests, statically linked so it runs in the busybox rootfs.
 * Installed setuid root, it tries what issue 12 showed a buildpack doing: become root, read a host
 * file through /proc/1/root, write one there. `linger` leaves a process in a new session that
 * writes a file after the step ended (and <file>-started at once, to show it was there).
 *
 *   escape-probe escape <host canary> <host file to create>
 *   escape-probe linger <file> <delay ms>
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void try_escape(const char *canary, const char *target)
{
	printf("probe euid=%u\n", (unsigned)geteuid());
	if (setuid(0) == 0)
		printf("probe became root\n");
	char path[4200], buf[64];
	const char *roots[] = { "/proc/1/root", "" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", roots[i], canary);
		int fd = open(path, O_RDONLY);
		if (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
			printf("probe read %s\n", path);
		if (fd >= 0)
			close(fd);
		snprintf(path, sizeof(path), "%s%s", roots[i], target);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		if (fd >= 0 && write(fd, "pwned\n", 6) == 6)
			printf("probe wrote %s\n", path);
		if (fd >= 0)
			close(fd);
	}
}

/* Returns once the lingering process is running (it made <file>-started), so the step ends with it alive. */
static void linger(const char *file, int delay_ms)
{
	char started[4200];
	snprintf(started, sizeof(started), "%s-started", file);
	if (fork() != 0) {
		for (int i = 0; i < 500 && access(started, F_OK) != 0; i++)
			usleep(10000);
		return;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	int fd = open(started, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	usleep((useconds_t)delay_ms * 1000);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0 && write(fd, "late\n", 5) == 5)
		close(fd);
	_exit(0);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 4 && !strcmp(argv[1], "escape"))
		try_escape(argv[2], argv[3]);
	else if (argc == 4 && !strcmp(argv[1], "linger"))
		linger(argv[2], atoi(argv[3]));
	else
		return 2;
	return 0;
}
