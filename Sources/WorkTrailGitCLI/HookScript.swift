/// The script installed as each of the hooks worktrail-git uses.
///
/// `hooks/post-commit`, `hooks/post-rewrite` and `hooks/post-merge` in the source tree hold
/// the same text (a test keeps them equal); installing puts the binary's absolute path in place
/// of the placeholder, so that the hook works with the minimal `PATH` a GUI client gives it.
enum HookScript {
    /// The hooks installed: each one means commits may have been made or rewritten.
    static let names = ["post-commit", "post-rewrite", "post-merge"]

    /// A line every installed script holds, by which worktrail-git knows its own hooks.
    static let marker = "# worktrail-git hook:"

    /// Stands for the binary's path in `template`.
    static let placeholder = "@WORKTRAIL_GIT@"

    /// Suffix of the name under which a hook that was already there is kept and called.
    static let chainedSuffix = ".worktrail-chained"

    static let template = #"""
        #!/bin/sh
        # worktrail-git hook: hands new commits to worktrail-git in the background.
        # Installed by 'worktrail-git hook install' as post-commit, post-rewrite and post-merge;
        # 'worktrail-git hook uninstall' removes it and puts back the hook it replaced.
        # WORKTRAIL_SKIP=1 turns it off for one command. It prints nothing and always exits 0;
        # what happened is in <git common dir>/worktrail/hook.log.
        worktrail_git='@WORKTRAIL_GIT@'

        # The hook that was here before runs first, in the foreground, with the same arguments and input.
        if [ -x "$0.worktrail-chained" ]; then
            "$0.worktrail-chained" "$@"
        fi
        [ "${WORKTRAIL_SKIP:-}" = 1 ] && exit 0

        # The work runs detached, holding none of git's streams, so git and whoever reads its
        # output wait for nothing.
        (
            hook=${0##*/}
            state=$(git rev-parse --git-common-dir)/worktrail || exit 0
            mkdir -p "$state" || exit 0
            log=$state/hook.log
            case $worktrail_git in @*) worktrail_git=$(command -v worktrail-git) ;; esac
            if [ -x "$worktrail_git" ]; then
                exec "$worktrail_git" hook run --hook "$hook" --log "$log" >>"$log" 2>&1
            fi
            if [ -f "$log" ] && [ "$(wc -c <"$log")" -gt 262144 ]; then mv -f "$log" "$log.1"; fi
            echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $hook: worktrail-git is not at '$worktrail_git' any more;" \
                "install it again and run 'worktrail-git hook install'" >>"$log"
        ) </dev/null >/dev/null 2>&1 &
        exit 0

        """#

    /// The script with `binary` recorded in it, quoted for the shell.
    static func script(binary: String) -> String {
        let quoted = binary.replacingOccurrences(of: "'", with: #"'\''"#)
        return template.replacingOccurrences(of: "'\(placeholder)'", with: "'\(quoted)'")
    }

    /// Whether the text of a hook file is one of ours.
    static func isOurs(_ text: String) -> Bool {
        text.contains(marker)
    }
}
