package validator

// Dataset is the validator's held-out labelled data: the graded challenges
// are drawn from it. The daemon loads a task's (task.LoadHeldOut, whose
// *task.Samples implements it); tests may pass any.
type Dataset interface {
	// Len is the number of samples (> 0).
	Len() int
	// Sample returns sample i (0 <= i < Len): the model input, already
	// quantized to the task's int8 encoding, and its label. The engine does
	// not modify the returned slice.
	Sample(i int) (input []int8, label uint32)
}
