// Package cluster manages the MongoDB replica sets that span the Paris and
// Lyon sites: it observes a set (hello, replSetGetStatus, replSetGetConfig,
// the oplog) into one State, plans the safe single-voter reconfigs from the
// live config to the file's (Plan, a pure function), applies them one at a
// time waiting for each to commit, and performs switchovers, forced
// failovers and the rejoin of a lost site.
//
// Pure logic (the config document, validation with mongod 7.0's rules, the
// planner, the preflights of switchover, failover and rejoin, the status
// report) has no I/O. The I/O side talks to real mongod commands through
// the official Go driver and never special-cases the simulator. DESIGN.md
// explains the plan algorithm and the safety rules.
package cluster
