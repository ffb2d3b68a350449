//! The SQLite database behind the cache and the history (DESIGN §5):
//! `<cache_dir>/cache.db`, WAL mode, a busy timeout, folder 0700 and file
//! 0600, a versioned schema with migrations.
//!
//! This module only speaks SQL. Deciding what to do when the database is
//! damaged is `cache::Cache`'s job; here every failure is an error that says
//! whether it looks like damage.

use anyhow::{anyhow, Context};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = 4;

/// The schema version whose migration dropped every stored result (they
/// could quote a secret).
const DROPPED_RESULTS: i64 = 3;

/// How long to wait for another pqg holding a write lock.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_millis(3000);

/// Each entry moves the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 → 1
    r#"
    CREATE TABLE entries (
        key         BLOB PRIMARY KEY,
        gate        TEXT NOT NULL,
        created_ns  INTEGER NOT NULL,
        pqg_version TEXT NOT NULL,
        inputs      TEXT NOT NULL,
        parts       TEXT NOT NULL,
        payload     BLOB NOT NULL,
        checksum    BLOB NOT NULL
    );
    CREATE INDEX entries_by_gate ON entries (gate, created_ns);
    CREATE TABLE manifests (
        digest     TEXT PRIMARY KEY,
        data       BLOB NOT NULL,
        checksum   BLOB NOT NULL
    );
    CREATE TABLE file_index (
        root     TEXT PRIMARY KEY,
        data     BLOB NOT NULL,
        checksum BLOB NOT NULL
    );
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id      TEXT NOT NULL,
        time_ns     INTEGER NOT NULL,
        stage       TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        score       REAL,
        min_score   REAL,
        commit_sha  TEXT,
        branch      TEXT,
        host        TEXT,
        pqg_version TEXT NOT NULL,
        duration_ms INTEGER NOT NULL
    );
    CREATE TABLE gate_runs (
        run         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        gate        TEXT NOT NULL,
        status      TEXT NOT NULL,
        cached      INTEGER NOT NULL,
        flaky       INTEGER NOT NULL,
        attempts    INTEGER NOT NULL,
        duration_ms INTEGER,
        metrics     TEXT NOT NULL
    );
    CREATE INDEX gate_runs_by_gate ON gate_runs (gate, run);
    "#,
    // 1 → 2: dropping old runs cascades to gate_runs by `run`; without an
    // index each dropped run scanned the whole table (4 ms a run at 1000
    // runs of 40 gates).
    r#"
    CREATE INDEX gate_runs_by_run ON gate_runs (run);
    "#,
    // 2 → 3: results stored before secrets were masked in the stream and in
    // metric messages may quote one (DESIGN §11). They are dropped, their
    // pages zeroed rather than only freed; key format 3 keeps older exports
    // out. History holds no output and stays.
    r#"
    PRAGMA secure_delete = ON;
    DELETE FROM entries;
    DELETE FROM manifests;
    "#,
    // 3 → 4: the untracked cache, one record per folder listed (as
    // `file_index`). `IF NOT EXISTS`: a file set back to an older version
    // by hand (the tests do) may hold it already.
    r#"
    CREATE TABLE IF NOT EXISTS untracked_cache (
        root     TEXT PRIMARY KEY,
        data     BLOB NOT NULL,
        checksum BLOB NOT NULL
    );
    "#,
];

/// Why the database could not be used.
#[derive(Debug)]
pub(crate) enum DbError {
    /// The file is not a database, or is damaged: move it aside.
    Damaged(anyhow::Error),
    /// Written by a newer pqg: leave it alone.
    Newer(i64),
    /// Locked, read-only, out of space, missing folder…: go on without it.
    Unavailable(anyhow::Error),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Damaged(e) => write!(f, "the cache database is damaged ({e:#})"),
            DbError::Newer(v) => write!(
                f,
                "the cache database has schema {v}, newer than this pqg's {SCHEMA_VERSION}"
            ),
            DbError::Unavailable(e) => write!(f, "the cache database is unavailable ({e:#})"),
        }
    }
}

/// Classifies a SQLite error.
pub(crate) fn classify(err: rusqlite::Error) -> DbError {
    let damaged = matches!(
        err.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    ) || matches!(err, rusqlite::Error::SqliteFailure(ref e, _) if e.extended_code == 522 /* SQLITE_IOERR_SHORT_READ */);
    if damaged {
        DbError::Damaged(err.into())
    } else {
        DbError::Unavailable(err.into())
    }
}

/// The path of the database in `dir`.
pub(crate) fn path_in(dir: &Path) -> PathBuf {
    dir.join("cache.db")
}

/// Opens (creating if needed) the database in `dir`, migrated to
/// [`SCHEMA_VERSION`].
pub(crate) fn open(dir: &Path) -> Result<Connection, DbError> {
    secure_dir(dir)?;
    let path = path_in(dir);
    if path.is_dir() {
        return Err(DbError::Damaged(anyhow!(
            "`{}` is a folder",
            path.display()
        )));
    }
    if !path.exists() {
        // Create it ourselves so that it is private from the first byte.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map(drop)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .with_context(|| format!("creating `{}`", path.display()))
            .map_err(DbError::Unavailable)?;
    } else if let Ok(meta) = std::fs::metadata(&path) {
        if meta.permissions().mode() & 0o077 != 0 {
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        }
    }
    // Several pqg processes may create or open the database at the same
    // moment; the steps below that need a lock SQLite cannot wait for
    // (switching to WAL) are retried for up to the busy timeout.
    let start = std::time::Instant::now();
    loop {
        match connect(&path) {
            Err(DbError::Unavailable(e)) if is_busy(&e) && start.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(15));
            }
            other => return other,
        }
    }
}

/// The folders pqg writes in a cache folder: kept logs, `PQG_FILES` lists.
const OWN_FOLDERS: [&str; 2] = ["logs", "files"];

/// What pqg writes as `<cache_dir>/.gitignore`.
const GITIGNORE: &str = crate::files::list::CACHE_GITIGNORE;

/// Makes `dir` private (0700) and invisible to git (a `.gitignore` of `*`,
/// like other tools' cache folders), creating it if need be; an existing
/// folder too, when it is pqg's ([`is_pqgs`]): one an older pqg made open
/// to all, or that the user made, must not offer the logs and the database
/// to `git add`.
fn secure_dir(dir: &Path) -> Result<(), DbError> {
    // pqg's own folders are private whoever owns the folder around them
    // (`cache_dir = "build"`): an older pqg left them, and their logs,
    // open to all.
    for own in OWN_FOLDERS {
        crate::sys::tmp::make_private_tree(&dir.join(own));
    }
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating `{}`", dir.display()))
            .map_err(DbError::Unavailable)?;
        let _ = std::fs::write(dir.join(".gitignore"), GITIGNORE);
        return Ok(());
    }
    if !is_pqgs(dir) {
        crate::info!(
            "cache: `{}` holds more than pqg's files; its mode and .gitignore are left as they are",
            dir.display()
        );
        return Ok(());
    }
    if std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let ignore = dir.join(".gitignore");
    if std::fs::symlink_metadata(&ignore).is_err() {
        let _ = std::fs::write(ignore, GITIGNORE);
    }
    Ok(())
}

/// Whether pqg may treat the existing folder `dir` as its own, to chmod it
/// and ignore all of it: it holds the `.gitignore` pqg writes, or nothing
/// but what pqg writes there (its
/// database and the files beside it, logs, lists, a `.gitignore`), or is
/// empty. A folder the user shares with other things (`cache_dir = "."`,
/// `"build"`, a home folder) is left as it is; pqg's own files in it are
/// private all the same (database 0600, logs 0700/0600).
fn is_pqgs(dir: &Path) -> bool {
    if crate::files::list::is_marked_cache(dir) {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut all_ours = true;
    for entry in entries {
        let Ok(entry) = entry else {
            return false;
        };
        all_ours &= entry.file_name().to_str().is_some_and(is_own_entry);
    }
    all_ours
}

/// Whether an entry of the cache folder, by its name, is one pqg writes
/// there: its database and the files beside it, its logs and lists, the
/// new-code memos, a `.gitignore`.
pub(crate) fn is_own_entry(name: &str) -> bool {
    name.starts_with("cache.db")
        || name.starts_with("new-code")
        || matches!(name, ".gitignore" | "logs" | "files")
}

/// Whether the folder `dir` holds the `.gitignore` pqg writes in a folder
/// it makes, or is not there yet (pqg makes it, and it is then).
pub(crate) fn is_marked(dir: &Path) -> bool {
    !dir.exists() || crate::files::list::is_marked_cache(dir)
}

fn is_busy(e: &anyhow::Error) -> bool {
    e.downcast_ref::<rusqlite::Error>().is_some_and(|e| {
        matches!(
            e.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        )
    })
}

fn is_read_only(e: &anyhow::Error) -> bool {
    e.downcast_ref::<rusqlite::Error>().is_some_and(|e| {
        matches!(
            e.sqlite_error_code(),
            Some(
                ErrorCode::ReadOnly
                    | ErrorCode::CannotOpen
                    | ErrorCode::SystemIoFailure
                    | ErrorCode::DiskFull
            )
        )
    })
}

/// Opens the database at `path` in WAL mode and migrates it, never
/// syncing a write (`synchronous = OFF`): the cache is a cache. A pqg
/// that dies leaves SQLite's WAL whole (the kernel still holds every
/// write); only a machine that loses power before the kernel writes the
/// pages back can leave a damaged file, which the next run moves aside
/// (one warning; damaged entries also fail their checksums) and fills
/// again, never a wrong result. Syncing cost a fresh file ten `fsync`
/// calls before the tree was even listed (the journal, its folder, the
/// main file, the WAL and its folder), and a cold run two more at its
/// close (13 ms of a 300 ms run on the 20,000-file tree): as much as
/// everything pqg stores.
fn connect(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(classify)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(classify)?;
    // Closing the last connection would checkpoint the WAL into the main
    // file and fsync it: tens of milliseconds on every warm run. SQLite's
    // automatic checkpoint (every 1000 pages) keeps the WAL bounded instead.
    let _ = conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    );
    conn.execute_batch("PRAGMA synchronous = OFF")
        .map_err(classify)?;
    // journal_mode reads the header: the first place a garbage file shows.
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .map_err(classify)?;
    if !mode.eq_ignore_ascii_case("wal") {
        // A read-only folder cannot hold a WAL; then go on in the mode we
        // have.
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(classify)?;
    }
    // Memory-mapped reads: the file index is one large blob read on every
    // run, and page-by-page pread calls showed up in profiles.
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA mmap_size = 268435456;")
        .map_err(classify)?;
    migrate(&conn)?;
    Ok(conn)
}

/// The schema version and the number of schema objects, read in one
/// statement so that both come from one snapshot: read apart, another pqg
/// could create the tables in between and a fresh file would look alien.
fn schema_state(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// What the migration found under the write lock.
enum Migrated {
    /// Migrated from this version.
    Done(i64),
    Newer(i64),
    /// Version 0 with tables in it: not made by pqg.
    Alien,
}

fn migrate(conn: &Connection) -> Result<(), DbError> {
    let (version, _) = schema_state(conn).map_err(classify)?;
    if version > SCHEMA_VERSION {
        return Err(DbError::Newer(version));
    }
    if version == SCHEMA_VERSION {
        return check_tables(conn);
    }
    // Decide again under the write lock: another pqg may have created or
    // migrated the file since the read above.
    let migrated = immediate(conn, |tx| {
        let (current, tables) = schema_state(tx)?;
        if current > SCHEMA_VERSION {
            return Ok(Migrated::Newer(current));
        }
        if current == 0 && tables > 0 {
            return Ok(Migrated::Alien);
        }
        for sql in MIGRATIONS.iter().skip(current.max(0) as usize) {
            tx.execute_batch(sql)?;
        }
        tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
        Ok(Migrated::Done(current))
    })
    .map_err(|e| match classify(e) {
        // A migration that fails for any reason but a lock or a read-only
        // file met a schema that is not ours.
        DbError::Unavailable(e) if !is_busy(&e) && !is_read_only(&e) => DbError::Damaged(e),
        other => other,
    })?;
    match migrated {
        Migrated::Done(from) => {
            check_tables(conn)?;
            if (1..DROPPED_RESULTS).contains(&from) {
                // The dropped results' old pages may still sit in the WAL:
                // fold it into the (zeroed) main file and empty it.
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            }
            Ok(())
        }
        Migrated::Newer(v) => Err(DbError::Newer(v)),
        Migrated::Alien => Err(DbError::Damaged(anyhow!(
            "it holds tables but no schema version"
        ))),
    }
}

/// Runs `f` in a transaction that takes the write lock up front, so that
/// the busy timeout applies (a deferred transaction that read first cannot
/// wait for a lock in WAL mode: it fails at once with SQLITE_BUSY).
pub(crate) fn immediate<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// A database that claims our version but lacks our tables is damaged.
fn check_tables(conn: &Connection) -> Result<(), DbError> {
    const TABLES: [&str; 6] = [
        "entries",
        "manifests",
        "file_index",
        "runs",
        "gate_runs",
        "untracked_cache",
    ];
    let found: String = conn
        .query_row(
            "SELECT coalesce(group_concat(name, ' '), '') FROM (SELECT name FROM sqlite_master
             WHERE type = 'table' AND name IN ('entries', 'manifests', 'file_index', 'runs', 'gate_runs', 'untracked_cache')
             ORDER BY name)",
            [],
            |r| r.get(0),
        )
        .map_err(classify)?;
    let found: Vec<&str> = found.split(' ').collect();
    match TABLES.iter().find(|t| !found.contains(t)) {
        Some(missing) => Err(DbError::Damaged(anyhow!("table `{missing}` is missing"))),
        None => Ok(()),
    }
}

/// Moves a damaged database (and its WAL and shared-memory files) aside as
/// `cache.db.corrupt-<time>`; returns the new name.
pub(crate) fn move_aside(dir: &Path) -> std::io::Result<PathBuf> {
    let path = path_in(dir);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut target = dir.join(format!("cache.db.corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() {
        target = dir.join(format!("cache.db.corrupt-{stamp}-{n}"));
        n += 1;
    }
    std::fs::rename(&path, &target)?;
    for suffix in ["-wal", "-shm"] {
        let side = dir.join(format!("cache.db{suffix}"));
        if side.exists() {
            let _ = std::fs::rename(
                &side,
                target.with_file_name(format!(
                    "{}{suffix}",
                    target
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("cache.db.corrupt")
                )),
            );
        }
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fresh or reopened, in WAL mode and never syncing: a cold run's two
    /// `fsync` calls at its close were as long as all it stores.
    #[test]
    fn the_cache_is_never_synced() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..2 {
            let conn = open(dir.path()).unwrap();
            let (mode, sync): (String, i64) = conn
                .query_row(
                    "SELECT (SELECT journal_mode FROM pragma_journal_mode), (SELECT synchronous FROM pragma_synchronous)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!((mode.as_str(), sync), ("wal", 0));
        }
    }

    #[test]
    fn an_older_schema_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(dir.path()).unwrap();
        conn.execute_batch(
            "DROP INDEX gate_runs_by_run; PRAGMA user_version = 1;
             INSERT INTO runs (run_id, time_ns, stage, outcome, pqg_version, duration_ms)
             VALUES ('old', 1, 'entry', 'passed', '0.0.1', 5);",
        )
        .unwrap();
        drop(conn);
        let conn = open(dir.path()).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let runs: i64 = conn
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(runs, 1, "history survives the migration");
        let index: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'gate_runs_by_run'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(index, 1);
    }

    #[test]
    fn a_missing_table_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        open(dir.path())
            .unwrap()
            .execute_batch("DROP TABLE manifests")
            .unwrap();
        assert!(matches!(open(dir.path()), Err(DbError::Damaged(_))));
    }

    #[test]
    fn results_of_schema_2_are_dropped_and_leave_no_trace_in_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(dir.path()).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO entries (key, gate, created_ns, pqg_version, inputs, parts, payload, checksum)
             VALUES (x'01', 'g', 1, '0.0.1', 'i', '{}', 'captured `token=plain-old-secret-value`', x'00');
             INSERT INTO manifests (digest, data, checksum) VALUES ('i', x'00', x'00');
             INSERT INTO runs (run_id, time_ns, stage, outcome, pqg_version, duration_ms)
             VALUES ('old', 1, 'entry', 'passed', '0.0.1', 5);",
        )
        .unwrap();
        drop(conn);
        let conn = open(dir.path()).unwrap();
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            (count("entries"), count("manifests"), count("runs")),
            (0, 0, 1)
        );
        drop(conn);
        for file in ["cache.db", "cache.db-wal"] {
            let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
            assert!(
                !bytes.windows(16).any(|w| w == b"plain-old-secret"),
                "{file} still holds the old result"
            );
        }
    }
}
