// Package bson is a stand-in for go.mongodb.org/mongo-driver/bson: the
// document types used to build filters and documents.
package bson

import "go.mongodb.org/mongo-driver/bson/primitive"

// M is an unordered document: bson.M{"name": "x"}.
type M = primitive.M

// D is an ordered document: bson.D{{Key: "name", Value: "x"}}.
type D = primitive.D

// E is one element of a D.
type E = primitive.E

// A is an array.
type A = primitive.A
