' The Log contact form's code: fills the outcomes, hands the fields to Python as keyword arguments.
Option Explicit

Private Sub UserForm_Initialize()
    Dim o As Variant
    For Each o In Split(OUTCOMES, ",")
        Me.Outcome.AddItem o
    Next o
    Me.Outcome.Value = "called"
    Me.Customer.Value = SelectedCustomer()
End Sub

Private Sub Ok_Click()
    Dim arguments As String
    arguments = "customer=" & PyStr(Me.Customer.Value) & ", outcome=" & PyStr(Me.Outcome.Value) & _
                ", when=" & PyStr(Me.PromiseDate.Value) & ", amount=" & PyStr(Me.Amount.Value) & _
                ", note=" & PyStr(Me.Note.Value)
    Me.Hide
    RunPython PythonCall("arLogContact", arguments)
    Unload Me
End Sub

Private Sub Cancel_Click()
    Unload Me
End Sub
