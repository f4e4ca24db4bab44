package idcheck_test

import (
	"errors"
	"fmt"

	"github.com/tongban/tongban/internal/idcheck"
)

func ExampleIDNumber() {
	// The example number of GB 11643-1999, typed with a lowercase x.
	s := idcheck.NormalizeIDNumber(" 11010519491231002x ")
	fmt.Println(s, idcheck.IDNumber(s))

	err := idcheck.IDNumber("110105194912310021")
	fmt.Println(errors.Is(err, idcheck.ErrCheckDigit))

	err = idcheck.IDNumber("110105194902300026")
	fmt.Println(errors.Is(err, idcheck.ErrDate))
	// Output:
	// 11010519491231002X <nil>
	// true
	// true
}

func ExampleMaskIDNumber() {
	fmt.Println(idcheck.MaskIDNumber("110105199001011234"))
	fmt.Println(idcheck.MaskPhone("13812345678"))
	fmt.Println(idcheck.MaskName("欧阳娜娜"))
	// Output:
	// 110***********1234
	// 138****5678
	// 欧***
}

func ExampleCreditCode() {
	fmt.Println(idcheck.CreditCode("91350100M000100Y43"))

	err := idcheck.CreditCode(idcheck.NormalizeCreditCode("91110000802100433c"))
	fmt.Println(errors.Is(err, idcheck.ErrCheckDigit))

	c, _ := idcheck.CreditCodeCheckChar("91110000802100433")
	fmt.Printf("%c\n", c)
	// Output:
	// <nil>
	// true
	// B
}
