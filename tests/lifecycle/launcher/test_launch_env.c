/* Unit tests of launch-env and launch-layers: the launch env base and the layering order. */
#include "lib/common/cleanup.h"
#include "lib/lifecycle/launcher/launch-env.h"
#include "tests/lifecycle/launcher/launch-fixture.h"
#include "tests/lib/tap.h"

static void test_launch_env__strips_launcher_inputs(void)
{
	char *environ_in[] = { "CNB_LAYERS_DIR=/layers", "CNB_APP_DIR=/workspace", "CNB_PLATFORM_API=0.15",
			       "CNB_PROCESS_TYPE=web", "CNB_DEPRECATION_MODE=quiet", "CNB_EXEC_ENV=test",
			       "PATH=/cnb/process:/cnb/lifecycle:/usr/bin:/cnb/process:/bin", "HOME=/home/cnb", NULL };
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	is_int(cnb__lifecycle_launch_env_init(&env, environ_in), 0, "init");
	ok(!cnb__lifecycle_env_get(&env, "CNB_LAYERS_DIR") && !cnb__lifecycle_env_get(&env, "CNB_APP_DIR") &&
		   !cnb__lifecycle_env_get(&env, "CNB_PLATFORM_API") && !cnb__lifecycle_env_get(&env, "CNB_PROCESS_TYPE") &&
		   !cnb__lifecycle_env_get(&env, "CNB_DEPRECATION_MODE"),
	   "launcher inputs removed");
	is_str(cnb__lifecycle_env_get(&env, "CNB_EXEC_ENV"), "test", "CNB_EXEC_ENV stays (the app may read it)");
	is_str(cnb__lifecycle_env_get(&env, "PATH"), "/usr/bin:/bin", "/cnb/process and /cnb/lifecycle removed from PATH");
	is_str(cnb__lifecycle_env_get(&env, "HOME"), "/home/cnb", "everything else kept");
}

static const char *const metadata_text =
	"[[buildpacks]]\n  id = \"acme/first\"\n  version = \"1\"\n  api = \"0.10\"\n"
	"[[buildpacks]]\n  id = \"no-layers\"\n  version = \"1\"\n  api = \"0.10\"\n"
	"[[buildpacks]]\n  id = \"second\"\n  version = \"1\"\n  api = \"0.10\"\n";

static void test_launch_env__layering_order(void)
{
	fixture_init();
	/* acme/first: layers a and b (bin, lib, env files), a skipped .ignore layer, a store file. */
	fixture_mkdir("layers/acme_first/a/bin");
	fixture_mkdir("layers/acme_first/a/lib");
	fixture_mkdir("layers/acme_first/b/bin");
	fixture_mkdir("layers/acme_first/gone.ignore/bin");
	fixture_write("layers/acme_first/a.toml", "[types]\nlaunch = true\n", 0644);
	fixture_write("layers/acme_first/store.toml", "", 0644);
	/* Root dirs of the whole buildpack come first: the append sees b/bin already in PATH. */
	fixture_write("layers/acme_first/a/env/PATH.append", "/appended", 0644);
	fixture_write("layers/acme_first/a/env/PATH.delim", ":", 0644);
	fixture_write("layers/acme_first/a/env.launch/GREETING", "from-a", 0644);
	fixture_write("layers/acme_first/b/env.launch/GREETING.default", "from-b-default", 0644);
	fixture_write("layers/acme_first/b/env.launch/web/GREETING", "from-b-web", 0644);
	fixture_write("layers/acme_first/b/env.build/BUILD_ONLY", "x", 0644);
	fixture_mkdir("layers/second/z/bin");
	fixture_write("layers/second/z/env/NEWLINE.override", "kept\n", 0644);

	_cleanup_launch_metadata_ cnb__lifecycle_launch_metadata *md = fixture_metadata(metadata_text, NULL);
	_cleanup_launch_layers_ cnb__lifecycle_launch_layers layers = { NULL, 0 };
	cnb_error *err = NULL;
	is_int(cnb__lifecycle_launch_layers_find(&layers, md, fixture_path("layers"), &err), 0, "layers found");
	is_int(layers.n, 3, "a, b, z: no .ignore layer, no files");
	if (layers.n == 3) {
		is_str(layers.v[0].dir, fixture_path("layers/acme_first/a"), "escaped id, sorted layers");
		is_str(layers.v[2].dir, fixture_path("layers/second/z"), "later buildpack last");
		is_int(layers.v[2].bp, 2, "buildpack index");
	}

	char *environ_in[] = { "PATH=/usr/bin", NULL };
	_cleanup_env_ cnb__lifecycle_env env = CNB_ENV_INIT;
	cnb__lifecycle_launch_env_init(&env, environ_in);
	is_int(cnb__lifecycle_launch_env_apply_layers(&env, &layers, "web", &err), 0, "env applied for web");
	char want[2048];
	snprintf(want, sizeof(want), "%s:%s:%s:/usr/bin:/appended", fixture_path("layers/second/z/bin"),
		 fixture_path("layers/acme_first/b/bin"), fixture_path("layers/acme_first/a/bin"));
	is_str(cnb__lifecycle_env_get(&env, "PATH"), want,
	       "later buildpacks first, layers of one buildpack descending, env files after all root dirs");
	is_str(cnb__lifecycle_env_get(&env, "LD_LIBRARY_PATH"), fixture_path("layers/acme_first/a/lib"), "lib → LD_LIBRARY_PATH");
	is_str(cnb__lifecycle_env_get(&env, "GREETING"), "from-b-web", "env.launch/<type> overrides last");
	ok(!cnb__lifecycle_env_get(&env, "BUILD_ONLY"), "env.build is not for launch");
	is_str(cnb__lifecycle_env_get(&env, "NEWLINE"), "kept\n", "contents verbatim");

	_cleanup_env_ cnb__lifecycle_env plain = CNB_ENV_INIT;
	cnb__lifecycle_launch_env_init(&plain, environ_in);
	is_int(cnb__lifecycle_launch_env_apply_layers(&plain, &layers, "", &err), 0, "env applied with no process type");
	is_str(cnb__lifecycle_env_get(&plain, "GREETING"), "from-a", "no suffix = override; .default keeps the set value");
	cnb_error_free(err);
	fixture_cleanup();
}

int main(void)
{
	test_launch_env__strips_launcher_inputs();
	test_launch_env__layering_order();
	return tap_done();
}
