//! Checks (SPEC §13): a board measured against limits, and a verdict a script can trust. The
//! limits file, the judgement of a summary, and the result's forms (a table, JSON, JUnit) are
//! pure; the phases of a check read the engine's snapshots like any other front end.

pub mod judge;
pub mod limits;
pub mod measured;
pub mod result;
